import { isStorableText } from '@gatehouse/db';
import {
  type ArgumentMetadata,
  BadRequestException,
  Injectable,
  type PipeTransform,
} from '@nestjs/common';

/**
 * Refuses (400) route input whose strings Postgres cannot store, before any service sees it:
 * a NUL in a key name once reached the database and came back as a 500. Applies to what Nest
 * binds from the body, query and path; the proxy routes read their body themselves and pass it
 * upstream untouched.
 */
@Injectable()
export class StorableStringsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const where = unstorableAt(value, metadata.type === 'body' ? 'body' : metadata.type);
    if (where !== undefined) {
      throw new BadRequestException(
        `${where} contains a NUL character or an unpaired surrogate, which cannot be stored`,
      );
    }
    return value;
  }
}

/** The path of the first string (value or key) that cannot be stored; iterative. */
export function unstorableAt(value: unknown, root: string): string | undefined {
  const pending: { value: unknown; path: string }[] = [{ value, path: root }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const current = next.value;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return next.path;
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => pending.push({ value: item, path: `${next.path}[${i}]` }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        // A key is named by position only: it is the unstorable text itself.
        if (!isStorableText(key)) return `a field name in ${next.path}`;
        pending.push({ value: item, path: `${next.path}.${key}` });
      }
    }
  }
  return undefined;
}
