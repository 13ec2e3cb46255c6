import 'reflect-metadata';
import { announceDevAdminKey, loadConfigOrExit } from '@gatehouse/config';
import { Logger } from 'nestjs-pino';
import { createGatewayApp } from './configure-app.js';

async function bootstrap(): Promise<void> {
  const { config, generatedAdminKey } = loadConfigOrExit('gateway');
  if (generatedAdminKey) announceDevAdminKey(generatedAdminKey, config.DEV_SECRETS_FILE);
  const app = await createGatewayApp(config);
  await app.listen(config.PORT, config.HOST);
  app.get(Logger).log(`gateway listening on http://${config.HOST}:${config.PORT}`);
}

bootstrap().catch((err: unknown) => {
  // A dependency that stays down through the start-up retries: say so plainly and exit non-zero
  // so the supervisor (compose, systemd) restarts us.
  process.stderr.write(
    `gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
