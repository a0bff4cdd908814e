/** Teams' three themes (default, dark, high contrast), as the page's `data-theme`. */
export function setTheme(theme: string | undefined): void {
  document.body.dataset.theme = theme === 'dark' ? 'dark' : theme === 'contrast' ? 'contrast' : 'default';
}
