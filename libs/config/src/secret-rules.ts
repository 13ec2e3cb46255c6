export const MIN_SECRET_LENGTH = 32;

const PLACEHOLDER_PATTERNS = [
  /^change[-_]?me/i,
  /^your[-_]/i,
  /^example/i,
  /^placeholder/i,
  /^replace[-_]?me/i,
  /^todo/i,
  /^secret$/i,
  /^password$/i,
  /^(.)\1*$/, // one character repeated
];

/** Why a production secret is unacceptable, or undefined when it is fine. Never includes the value. */
export function weakSecretReason(value: string): string | undefined {
  if (value.length < MIN_SECRET_LENGTH) {
    return `is shorter than ${MIN_SECRET_LENGTH} characters`;
  }
  if (PLACEHOLDER_PATTERNS.some((p) => p.test(value))) {
    return 'is a placeholder value; generate one with `openssl rand -hex 32`';
  }
  return undefined;
}

/** Weak or placeholder passwords inside the connection URLs, which hold secrets too. */
export function urlPasswordProblems(raw: { DATABASE_URL: string; REDIS_URL: string }): string[] {
  const problems: string[] = [];
  for (const name of ['DATABASE_URL', 'REDIS_URL'] as const) {
    let password: string;
    try {
      password = decodeURIComponent(new URL(raw[name]).password);
    } catch {
      continue; // the schema has checked it is a URL
    }
    const reason = password ? weakSecretReason(password) : undefined;
    if (reason) problems.push(`${name}'s password ${reason}`);
  }
  return problems;
}
