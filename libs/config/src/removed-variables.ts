/**
 * Settings Gatehouse no longer reads. Ignoring one silently would leave an operator believing it
 * still works (a front end whose key stops working, or worse, one that keeps working unlimited),
 * so a set one stops the start with what to do instead.
 */
const REMOVED_VARIABLES: Readonly<Record<string, string>> = {
  API_KEY:
    'was removed: the bootstrap client key had no limits, could not be revoked and was not ' +
    'audited. Create a client key with POST /api/v1/admin/keys, give it to your front end, ' +
    'then delete API_KEY',
};

/** Names of the settings that were removed (the upgrade notes still name them). */
export const REMOVED_VARIABLE_NAMES: readonly string[] = Object.keys(REMOVED_VARIABLES);

/** One problem per removed variable that is set (by name; values are never shown). */
export function removedVariableProblems(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(REMOVED_VARIABLES)
    .filter(([name]) => env[name] !== undefined)
    .map(([name, what]) => `${name} ${what}`);
}
