/** An ordinary link that moves within the app without a reload (modifier keys keep the browser's way). */
import type { JSX } from "preact";
import { navigate } from "../router";

export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return (
    <a
      {...props}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(props.href);
      }}
    />
  );
}
