// Entry names read from an archive someone else made (a backup, an uploaded skill): only a
// plain relative path may be written anywhere, never one that is absolute or climbs out.

/** Why `path` (an archive entry's name) is not a plain relative path, or undefined. */
export function relativePathProblem(path: string): string | undefined {
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || path.includes("\\"))
    return `${path}: absolute path`;
  const parts = path.replace(/\/$/, "").split("/");
  if (parts.includes("..")) return `${path}: leads outside the archive ("..")`;
  if (parts.some((part) => part === "" || part === "."))
    return `${path}: not a plain relative path`;
  return undefined;
}
