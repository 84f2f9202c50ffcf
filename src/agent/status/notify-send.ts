/**
 * Sending a desktop notification: the edge of the notification rule. `notify-send` on Linux and the BSDs
 * when a desktop is running (DISPLAY or WAYLAND_DISPLAY) and the command is installed, `osascript` on macOS,
 * or the program the config names instead (called with the title and the message). Fire and forget: a
 * notifier that fails or is missing never troubles the daemon.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type SendNote = (title: string, message: string) => void;

/** The executable `name` on the PATH, or undefined. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** AppleScript string literal. */
const appleString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The command line that shows a notification here, or undefined where none can be shown. */
export function notifyCommand(
  o: { command?: string; env: NodeJS.ProcessEnv; platform: NodeJS.Platform },
  title: string,
  message: string,
): [string, string[]] | undefined {
  if (o.command) return [o.command, [title, message]];
  if (o.platform === 'darwin')
    return [
      'osascript',
      ['-e', `display notification ${appleString(message)} with title ${appleString(title)}`],
    ];
  if (o.platform === 'win32' || !(o.env['DISPLAY'] || o.env['WAYLAND_DISPLAY'])) return undefined;
  const bin = onPath('notify-send', o.env);
  return bin ? [bin, ['--app-name=vosync', title, message]] : undefined;
}

export function desktopSender(o: {
  command?: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  onError: (e: Error) => void;
}): SendNote {
  return (title, message) => {
    const cmd = notifyCommand(o, title, message);
    if (!cmd) return;
    try {
      const child = spawn(cmd[0], cmd[1], { stdio: 'ignore', env: o.env });
      child.on('error', o.onError);
      child.unref();
    } catch (e) {
      o.onError(e as Error);
    }
  };
}
