# A partner keeps its own organization's entries.
access-speaks-for = Speaks for organization
access-speaks-for-none = No organization
access-speaks-for-hint = For the partner role: the partner may then edit this organization and add and edit its services and locations.
access-speaks-for-partner-only = Only a partner speaks for an organization: choose the partner role, or no organization.
access-speaks-for-unknown = Choose one of this initiative's organizations.
access-for-organization = for { $organization }
home-your-organization = Your organization: { $organization }
error-not_yours = { $field }: you may only add to an organization you speak for.
