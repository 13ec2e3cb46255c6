import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DOCS_PAGE_PATH } from './docs-page-csp.js';

export type DocsFile = { contentType: string; body: string | Buffer };

// The page asks for a key before anything else: a browser cannot send `x-api-key` on navigation,
// so the page itself is public and fetches the document with the key typed in. The key stays in
// this page's memory (no storage, no cookie) and goes only to this origin.
const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse API</title>
<link rel="stylesheet" href="${DOCS_PAGE_PATH}/swagger-ui.css">
<link rel="stylesheet" href="${DOCS_PAGE_PATH}/docs-page.css">
</head>
<body>
<form id="key-form" autocomplete="off">
<h1>Gatehouse API</h1>
<p>The API document is shown to callers with a key: a gateway key or the admin key.
It is kept in this page only, and sent only to this gateway.</p>
<label for="api-key">Key</label>
<input id="api-key" type="password" required spellcheck="false">
<button type="submit">Show the API</button>
<p id="key-error" role="alert"></p>
</form>
<div id="swagger-ui"></div>
<script src="${DOCS_PAGE_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PAGE_PATH}/docs-page.js"></script>
</body>
</html>
`;

const PAGE_CSS = `#key-form { max-width: 36rem; margin: 3rem auto; font-family: sans-serif; }
#key-form input { display: block; width: 100%; margin: 0.5rem 0 1rem; padding: 0.5rem; }
#key-form button { padding: 0.5rem 1rem; }
#key-error { color: #b00020; }
`;

// Swagger UI's initializer, in a file of its own so the CSP needs no inline script.
const PAGE_JS = `'use strict';
(function () {
  var form = document.getElementById('key-form');
  var input = document.getElementById('api-key');
  var problem = document.getElementById('key-error');
  var documentUrl = '/api/v1/openapi.json';
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var key = input.value.trim();
    problem.textContent = '';
    fetch(documentUrl, { headers: { 'x-api-key': key }, credentials: 'omit' })
      .then(function (res) {
        if (!res.ok) throw new Error(res.status === 401 ? 'That key is not valid here.' : 'The document could not be loaded (' + res.status + ').');
        return res.json();
      })
      .then(function (spec) {
        form.hidden = true;
        input.value = '';
        var ui = SwaggerUIBundle({
          spec: spec,
          dom_id: '#swagger-ui',
          validatorUrl: null,
          persistAuthorization: false,
          deepLinking: false,
        });
        Object.keys((spec.components && spec.components.securitySchemes) || {}).forEach(function (name) {
          var scheme = spec.components.securitySchemes[name];
          if (scheme.type === 'apiKey') ui.preauthorizeApiKey(name, key);
        });
      })
      .catch(function (err) { problem.textContent = err.message; });
  });
})();
`;

const swaggerUiDir = (): string =>
  dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * The page's files by name: a fixed list (nothing else under the path is served), Swagger UI's
 * from the installed swagger-ui-dist, read when first asked for and kept.
 */
export function loadDocsFiles(): ReadonlyMap<string, DocsFile> {
  const vendor = (name: string, contentType: string): DocsFile => ({
    contentType,
    body: readFileSync(join(swaggerUiDir(), name)),
  });
  return new Map<string, DocsFile>([
    ['', { contentType: 'text/html; charset=utf-8', body: INDEX_HTML }],
    ['docs-page.js', { contentType: 'text/javascript; charset=utf-8', body: PAGE_JS }],
    ['docs-page.css', { contentType: 'text/css; charset=utf-8', body: PAGE_CSS }],
    ['swagger-ui.css', vendor('swagger-ui.css', 'text/css; charset=utf-8')],
    ['swagger-ui-bundle.js', vendor('swagger-ui-bundle.js', 'text/javascript; charset=utf-8')],
  ]);
}
