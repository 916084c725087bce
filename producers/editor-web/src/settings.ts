/** The person's choices, kept in localStorage (one JSON value, read once at load). */
export interface PageSettings {
  theme: 'system' | 'light' | 'dark';
  keymap: 'default' | 'vim';
  fontSize: number;
  language: string;
  hardwareClass: string;
  args: string;
  compilerFlags: string;
  stdin: string;
  dependencySet: string;
  version: string;
}

const KEY = 'conveyor.settings';
const DEFAULTS: PageSettings = { theme: 'system', keymap: 'default', fontSize: 14, language: 'python', hardwareClass: 'x86_64', args: '', compilerFlags: '', stdin: '', dependencySet: '', version: '' };

export function loadSettings(): PageSettings {
  try {
    return { ...DEFAULTS, ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<PageSettings>) };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(s: PageSettings) {
  try {
    localStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    /* private mode or full storage: settings last for this page only */
  }
}

/** The open session and its text, so a reload resumes it instead of starting over. */
export interface Draft { sessionId: string; language: string; files: { name: string; content: string }[]; token?: string }
const DRAFT = 'conveyor.draft';
export const loadDraft = (): Draft | null => {
  try {
    return JSON.parse(localStorage.getItem(DRAFT) ?? 'null') as Draft | null;
  } catch {
    return null;
  }
};
export const saveDraft = (d: Draft) => {
  try {
    localStorage.setItem(DRAFT, JSON.stringify(d));
  } catch {
    /* as above */
  }
};
