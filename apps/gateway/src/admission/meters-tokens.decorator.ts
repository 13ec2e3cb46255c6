import { SetMetadata } from '@nestjs/common';

export const METERS_TOKENS_METADATA = 'gatehouse:meters-tokens';

/** The route sends work upstream: a key whose tokens/day are used up is refused (429). */
export const MetersTokens = () => SetMetadata(METERS_TOKENS_METADATA, true);
