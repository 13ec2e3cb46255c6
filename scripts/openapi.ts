import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { loadConfigOrExit } from '@gatehouse/config';
import { createGatewayApp } from '../apps/gateway/src/configure-app.js';
import { mountedRoutes } from '../apps/gateway/src/openapi/mounted-routes.js';
import { buildOpenApiDocument } from '../apps/gateway/src/openapi/openapi-document.js';

/**
 * `npm run openapi [-- <file>]`: writes the gateway's OpenAPI document (default `openapi.json`)
 * for offline use, built as the running gateway builds it. `-- --routes <file>` writes the routes
 * the gateway mounts instead, as JSON (the tests compare them with the document). The gateway is
 * configured (so Postgres and Redis must answer) but never listens.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { config } = loadConfigOrExit('gateway');
  const app = await createGatewayApp(config);
  try {
    await app.init();
    const routesOnly = args[0] === '--routes';
    const file = (routesOnly ? args[1] : args[0]) ?? (routesOnly ? 'routes.json' : 'openapi.json');
    const content = routesOnly
      ? mountedRoutes(app.getHttpAdapter().getInstance())
      : buildOpenApiDocument(app);
    writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
    process.stderr.write(
      `${routesOnly ? 'Mounted routes' : 'OpenAPI document'} written to ${file}\n`,
    );
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`openapi: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
