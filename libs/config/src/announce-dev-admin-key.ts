/** Shows a freshly generated dev admin key once, on the terminal of whoever started Gatehouse. */
export function announceDevAdminKey(adminKey: string, file: string): void {
  process.stdout.write(
    `\n  Gatehouse dev admin key (shown once; kept in ${file}):\n  ${adminKey}\n\n`,
  );
}
