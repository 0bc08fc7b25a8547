// A development process of the app, reduced to its AWS credentials: the shared provider, asked
// many times (concurrently, then one after another). Prints what it saw as JSON; never a token.
import { explainAwsError } from "../../src/explain";
import { localRefreshCount } from "../../src/local-refresh";
import { getCredentialProvider } from "../../src/provider";

let provider: ReturnType<typeof getCredentialProvider>;
try {
  provider = getCredentialProvider();
} catch (error) {
  // Refused before any exchange (the configuration's own findings), as the app would be.
  const explained = explainAwsError(error);
  console.log(
    JSON.stringify({
      failure: { code: explained.code },
      because: explained.cause,
      localRefreshes: localRefreshCount(),
    }),
  );
  process.exit(0);
}
const keys = new Set<string>();
let failure: { code: string } | undefined;
const ask = async () => {
  try {
    keys.add((await provider()).accessKeyId);
  } catch (error) {
    failure = { code: explainAwsError(error).code };
  }
};
await Promise.all(Array.from({ length: 20 }, ask));
for (let i = 0; i < 10; i++) await ask();
const stats = provider.stats();
console.log(
  JSON.stringify({
    distinctCredentials: keys.size,
    exchanges: stats.exchanges,
    localRefreshes: localRefreshCount(),
    tokenSecondsLeft: stats.tokenSecondsLeft,
    failure,
  }),
);
