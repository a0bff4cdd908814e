import type { PartnershipProfile } from '../services/profile/types';
import template from './welcome.json';
import { expand, type AdaptiveCard } from './render';
import { PRIVACY_REMINDER } from './wording';

export interface WelcomeCardData {
  intro: string;
  steps: { text: string }[];
  commands: string;
  privacy: string;
  guidanceTitle: string;
  guidanceUrl: string;
}

export function welcomeCardData(profile: PartnershipProfile): WelcomeCardData {
  return {
    intro: `Re-think helps the professionals around a child resolve a concern or a disagreement about the case together, in a safe, restorative conversation. Any professional in the network can start one. Re-think follows the practice of the ${profile.partnership.name}.`,
    steps: profile.stages.map((stage, i) => ({ text: `${i + 1}. **${stage.title}**` })),
    // One command a line; Teams shows markdown lists in a TextBlock.
    commands: [
      'Type one of these (in a group chat, a channel or a meeting, @mention Re-think first: **@Re-think start**):',
      '',
      `- **start** to begin a Re-think, or **start ${profile.caseReference.example}** to fill in the case reference`,
      '- **status** to see the current Re-think again',
      '- **list** for this conversation’s Re-thinks',
      '- **request facilitator** when strategies 1 and 2 haven’t resolved a concern',
      '- **my requests** to follow your requests',
      '- **escalate** if a Re-think ends without resolving the concern',
      '- **help** to see this message again',
    ].join('\n'),
    privacy: PRIVACY_REMINDER,
    guidanceTitle: 'Partnership guidance',
    guidanceUrl: profile.partnership.guidanceUrl,
  };
}

export const renderWelcomeCard = (data: WelcomeCardData): AdaptiveCard => expand(template, data);
