// Bounds on an app package (its bits), shared by the CLI that packs it, the server that stores it and the
// cell that unpacks it. Cloud Foundry's default maximum package is 1 GiB; weft's default is smaller.

/** The largest compressed package the server takes unless configured otherwise (--max-package-size). */
export const DEFAULT_MAX_PACKAGE_BYTES = 256 * 1024 * 1024;
/** Files, directories and symlinks in one package. */
export const MAX_PACKAGE_ENTRIES = 100_000;
/** What one package may unpack to on a cell: bounds a compression bomb. */
export const MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024;
/** A path inside a package, in bytes. */
export const MAX_PACKAGE_PATH = 4096;
/** How large a package a cell fetches at most, whatever the server says. */
export const MAX_FETCHED_PACKAGE_BYTES = 4 * 1024 * 1024 * 1024;
