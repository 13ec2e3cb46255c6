import concurrently from 'concurrently';
import { prepareDatabase } from './prepare-database.js';

/**
 * `npm start`: create and migrate the database, then run the three apps in one terminal.
 * Ctrl-C stops all three; if one dies, the others are stopped too.
 */
async function main(): Promise<void> {
  await prepareDatabase();
  const apps = ['gateway', 'proxy-worker', 'audit'];
  const { result } = concurrently(
    apps.map((name) => ({ name, command: `node dist/apps/${name}/src/main.js` })),
    {
      killOthersOn: ['failure', 'success'],
      prefix: 'name',
      prefixColors: ['cyan', 'magenta', 'yellow'],
    },
  );
  await result.then(
    () => process.exit(0),
    () => process.exit(1),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`gatehouse failed to start: ${err.message}\n`);
  process.exit(1);
});
