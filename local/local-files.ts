/** Files the local pipeline keeps in `.local` (besides the dev signing key and pipeline.json). */
export const VERIFICATION_TOKEN_FILE = "verification-token";
export const PAGER_FILE = "pages.jsonl";

/**
 * The app id the local pipeline accepts by default: `LOCAL_APP_ID` of stack-template.ts, repeated here so
 * `npm run send` starts without loading aws-cdk-lib (a test keeps the two equal).
 */
export const DEFAULT_APP_ID = "app_local";
