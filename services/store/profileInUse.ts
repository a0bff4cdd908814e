/**
 * What records hold of the partnership profile: the ids of its choices and the names of its
 * escalation stages. A profile redeployed without one of them still starts (records keep working),
 * but what used it shows less; the start-up log says which, once, so the partnership knows.
 */
import type { Container } from '@azure/cosmos';
import type { PartnershipProfile } from '../profile/types';
import { readItem, upsertItem } from './repository';

const ID = 'profileInUse';

interface ProfileInUse {
  id: typeof ID;
  /** Each choice list's ids, by the profile's name for the list. */
  choices: Record<string, string[]>;
  escalationStages: string[];
  updatedAt: string;
  /** Kept for good, as the other settings are. */
  ttl: -1;
}

/** The choice lists records refer to by id. */
function choiceLists(profile: PartnershipProfile): Record<string, string[]> {
  const ids = (choices: readonly { id: string }[]) => choices.map((c) => c.id);
  const { planTypes, urgencies, formats, familyAware, managerAgrees } = profile.requestForm;
  return {
    concernCategories: ids(profile.concernCategories),
    tiersOfNeed: ids(profile.tiersOfNeed),
    'requestForm.planTypes': ids(planTypes),
    'requestForm.urgencies': ids(urgencies),
    'requestForm.formats': ids(formats),
    'requestForm.familyAware': ids(familyAware),
    'requestForm.managerAgrees': ids(managerAgrees),
  };
}

/** What this profile dropped or moved since `before`, as the log says it (ids and names from the profile, never from records). */
function profileChanges(before: Pick<ProfileInUse, 'choices' | 'escalationStages'>, profile: PartnershipProfile): string[] {
  const now = choiceLists(profile);
  const dropped = Object.entries(before.choices).flatMap(([list, ids]) =>
    ids.filter((id) => !(now[list] ?? []).includes(id)).map((id) => `${list}: "${id}" is no longer in the profile, so records that chose it show no label for it`),
  );
  const stages = before.escalationStages.flatMap((name, i) => {
    const at = profile.escalationStages.indexOf(name);
    if (at === -1) return [`escalationStages: "${name}" (stage ${i + 1}) is no longer in the profile; escalations recorded at it keep its name`];
    return at === i ? [] : [`escalationStages: "${name}" has moved from stage ${i + 1} to stage ${at + 1}`];
  });
  return [...dropped, ...stages];
}

/**
 * Compares the profile with the one the last start-up noted, and notes this one: what it dropped or
 * moved. The first start on a store has nothing to compare with.
 */
export async function noteProfileInUse(settings: Container, profile: PartnershipProfile, now: Date): Promise<string[]> {
  const before = await readItem<ProfileInUse>(settings, ID, ID);
  const current = { choices: choiceLists(profile), escalationStages: [...profile.escalationStages] };
  const changes = before ? profileChanges(before, profile) : [];
  if (!before || JSON.stringify({ choices: before.choices, escalationStages: before.escalationStages }) !== JSON.stringify(current)) {
    await upsertItem<ProfileInUse>(settings, { id: ID, ...current, updatedAt: now.toISOString(), ttl: -1 });
  }
  return changes;
}
