/** The configurable tab's set-up page: one choice only, so it is valid as soon as it opens. */
import { app, pages } from '@microsoft/teams-js';
import { setTheme } from './theme';

async function configure(): Promise<void> {
  await app.initialize();
  const context = await app.getContext();
  setTheme(context.app.theme);
  app.registerOnThemeChangeHandler(setTheme);
  pages.config.registerOnSaveHandler((save) => {
    const contentUrl = `${location.origin}/panel/`;
    pages.config
      .setConfig({ entityId: 'rethink-panel', contentUrl, websiteUrl: contentUrl, suggestedDisplayName: 'Re-think' })
      .then(() => save.notifySuccess())
      .catch(() => save.notifyFailure('Re-think could not be added just now. Please try again.'));
  });
  pages.config.setValidityState(true);
}

configure().catch(() => {
  const note = document.createElement('p');
  note.setAttribute('role', 'alert');
  note.textContent = 'Re-think can be added only from a Teams meeting. If you are in one, please close this and try again in a moment.';
  document.querySelector('main')?.append(note);
});
