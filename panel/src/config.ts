/** The configurable tab's set-up page: one choice only, so it is valid as soon as it opens. */
import { app, pages } from '@microsoft/teams-js';

async function configure(): Promise<void> {
  await app.initialize();
  const context = await app.getContext();
  document.body.dataset.theme = context.app.theme === 'dark' ? 'dark' : context.app.theme === 'contrast' ? 'contrast' : 'default';
  pages.config.registerOnSaveHandler((save) => {
    const contentUrl = `${location.origin}/panel/`;
    pages.config
      .setConfig({ entityId: 'rethink-panel', contentUrl, websiteUrl: contentUrl, suggestedDisplayName: 'Re-think' })
      .then(() => save.notifySuccess())
      .catch(() => save.notifyFailure('Re-think could not be added just now. Please try again.'));
  });
  pages.config.setValidityState(true);
}

void configure();
