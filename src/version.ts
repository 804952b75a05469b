// skbtape's own version, written into every manifest. Kept in step with package.json by a test.
export const SKBTAPE_VERSION = '0.1.0';

/** Capture schema version (see capture/event-schema.ts): bump when a column is added, removed or changes meaning.
 *  v2 (issue #10): `note` column; v1 captures still load (the missing column reads as null). */
export const SCHEMA_VERSION = 2;
