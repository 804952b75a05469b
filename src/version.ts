// skbtape's own version, written into every manifest. Kept in step with package.json by a test.
export const SKBTAPE_VERSION = '0.1.0';
