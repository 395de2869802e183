/** Sign in or create an account (fields `Email` and `Password`), ask for a password-reset e-mail, or set a new password from its link. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { session } from "../session";
import { useAction } from "../hooks";
import { ErrorMessage, Notice } from "../components/messages";
import { PasswordField } from "../components/fields";
import { Link } from "../components/link";
import { navigate } from "../router";
import type { Session } from "../types";

export function SignInPage({ reason }: { reason: string | null }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [forgot, setForgot] = useState(false);
  const [notice, setNotice] = useState<string | null>(reason);
  const submit = useAction(async (kind: "login" | "register" | "reset") => {
    setNotice(null);
    if (kind === "reset") {
      await api("POST", "/auth/password-reset", { body: { email }, anonymous: true });
      setNotice(`If ${email} has an account, a link to set a new password is on its way. It works once, for an hour.`);
      setForgot(false);
      return;
    }
    const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const body = kind === "login" ? { email, password } : { email, password, ...(timezone ? { timezone } : {}) };
    const started = await api<Session>("POST", kind === "login" ? "/auth/login" : "/auth/register", { body, anonymous: true });
    session.start(started);
    navigate("/", { replace: true });
  });
  return (
    <main id="main" class="sign-in">
      <h1 id="page-title" tabIndex={-1}>
        Habit tracker
      </h1>
      <p class="subtitle">Small steps, every day.</p>
      <form
        class="card stack"
        aria-label={forgot ? "Reset password" : "Sign in"}
        onSubmit={(event) => {
          event.preventDefault();
          const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
          void submit.run(forgot ? "reset" : submitter?.value === "register" ? "register" : "login");
        }}
      >
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            required
            maxLength={254}
            value={email}
            onInput={(event) => setEmail(event.currentTarget.value)}
          />
        </label>
        {!forgot && <PasswordField label="Password" value={password} onValue={setPassword} />}
        <ErrorMessage error={submit.error} />
        <Notice text={notice} />
        {forgot ? (
          <div class="row">
            <button type="submit" class="primary" disabled={submit.busy}>
              Send reset link
            </button>
            <button type="button" onClick={() => setForgot(false)}>
              Back to sign in
            </button>
          </div>
        ) : (
          <>
            <div class="row">
              <button type="submit" class="primary" value="login" disabled={submit.busy}>
                Sign in
              </button>
              <button type="submit" value="register" disabled={submit.busy}>
                Create account
              </button>
            </div>
            <p class="hint">New here? Enter an e-mail and a password of 8 or more characters, then Create account.</p>
            <button type="button" class="link-button" onClick={() => (setForgot(true), submit.clear())}>
              Forgot your password?
            </button>
          </>
        )}
      </form>
    </main>
  );
}

export function ResetPasswordPage({ token }: { token: string }) {
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const submit = useAction(async () => {
    await api("POST", "/auth/password-reset/confirm", { body: { token, newPassword: password }, anonymous: true });
    setDone(true);
  });
  return (
    <main id="main" class="sign-in">
      <h1 id="page-title" tabIndex={-1}>
        Set a new password
      </h1>
      {done ? (
        <div class="card stack">
          <Notice text="Your password is set, and every device was signed out." />
          <Link href="/" class="button primary">
            Sign in
          </Link>
        </div>
      ) : (
        <form class="card stack" aria-label="Set a new password" onSubmit={(event) => (event.preventDefault(), void submit.run())}>
          <PasswordField label="New password" choosing value={password} onValue={setPassword} />
          <ErrorMessage error={submit.error} />
          <button type="submit" class="primary" disabled={submit.busy || !token}>
            Set password
          </button>
        </form>
      )}
    </main>
  );
}
