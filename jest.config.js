/** Jest runs the TypeScript sources directly through ts-jest (type-checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.spec.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  testTimeout: 30000,
  verbose: false,
};
