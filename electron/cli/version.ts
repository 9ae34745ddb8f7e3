// The CLI's version, kept in one place (the package version).
export const CLI_VERSION = '0.1.0';
