/** The status page's files by URL path. They hold no data, so the API serves them without a token. */
import { PAGE_HTML } from './html.js';
import { PAGE_SCRIPT } from './script.js';
import { PAGE_STYLE } from './style.js';

export interface PageAsset {
  type: string;
  body: string;
  /** The HTML document itself (gets the Content-Security-Policy). */
  page?: boolean;
}

export const PAGE_ASSETS: Readonly<Record<string, PageAsset>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, PageAsset>, {
    '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML, page: true },
    '/index.html': { type: 'text/html; charset=utf-8', body: PAGE_HTML, page: true },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT },
    '/app.css': { type: 'text/css; charset=utf-8', body: PAGE_STYLE },
  }),
);
