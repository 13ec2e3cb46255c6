export * from './data-source-options.js';
export * from './database-errors.js';
export * from './database.module.js';
export * from './ensure-database.js';
export * from './entities/index.js';
export * from './run-migrations.js';
export * from './storable-text.js';
