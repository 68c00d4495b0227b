// Types of next-page.js (browser code, served as is), for the tests that import it.
export function nextPage(next: string | null, origin: string): string;
