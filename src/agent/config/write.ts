/**
 * Writing a configuration file: the document goes through the YAML library, so that paths holding `#`, `: `,
 * quotes or leading spaces come back as they were written instead of cutting the line short.
 */
import { stringify } from 'yaml';

/** A configuration file's text: the comment lines first, then `doc` as YAML. */
export function configYaml(doc: Record<string, unknown>, comment: readonly string[] = []): string {
  return [...comment.map((c) => `# ${c}`), stringify(doc)].join('\n');
}
