import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { GatewayModule } from './app.module.js';
import { configureGatewayApp } from './configure-app.js';

async function bootstrap(): Promise<void> {
  const { config, generatedAdminKey } = loadConfigOrExit('gateway');
  if (generatedAdminKey) {
    // Shown once, on the terminal of whoever started a fresh dev setup; kept in DEV_SECRETS_FILE.
    process.stdout.write(
      `\n  Gatehouse dev admin key (shown once, saved in ${config.DEV_SECRETS_FILE}):\n  ${generatedAdminKey}\n\n`,
    );
  }
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  await configureGatewayApp(app, config);
  await app.listen(config.PORT, config.HOST);
}

void bootstrap();
