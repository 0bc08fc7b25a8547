import type { Page } from "@playwright/test";

/** A control the Tab key reached: `kind:label`, and whether it showed a focus ring. */
export interface TabStop {
  name: string;
  outline: boolean;
}

/** Presses Tab from the top of `page` until the focus comes round again (at most 40 stops). */
export async function tabStops(page: Page): Promise<TabStop[]> {
  const reached: TabStop[] = [];
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      if (!element || element === document.body) return null;
      const label =
        element.getAttribute("aria-label") ??
        (element.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : null) ??
        element.textContent?.trim();
      const style = getComputedStyle(element);
      return {
        name: `${element.tagName.toLowerCase() === "a" ? "link" : element.tagName.toLowerCase()}:${label}`,
        outline: style.outlineStyle !== "none" && style.outlineWidth !== "0px",
      };
    });
    if (!focused) continue;
    if (reached.some((stop) => stop.name === focused.name)) break;
    reached.push(focused);
  }
  return reached;
}
