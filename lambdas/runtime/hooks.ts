/** The two hooks that Prelude calls and that hookwatch watches. */
export const HOOKS = ["migration", "step-up"] as const;
export type Hook = (typeof HOOKS)[number];

/** The event type Prelude emits when a call to each hook fails. */
export const HOOK_FAILED_EVENT: Record<Hook, string> = {
  migration: "migration.hook_failed",
  "step-up": "step_up.hook_failed",
};

export function hookOfEventType(type: string): Hook | undefined {
  return HOOKS.find((hook) => HOOK_FAILED_EVENT[hook] === type);
}

/** What a person reads: "migration hook", "step-up hook". */
export function hookLabel(hook: Hook): string {
  return `${hook} hook`;
}
