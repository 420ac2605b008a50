//! The only way a handler reaches an initiative's data.
//!
//! [`Authorized<A>`] (pages) and [`ApiAuthorized<A>`] (JSON API) are extractors:
//! they identify the caller, load the initiative named in the path with the
//! caller's grants in one query, and ask [`domain::access::decide`] whether the
//! action `A` is allowed — 404 when the caller may not know the initiative
//! exists, 403 when they may see it but not do this. A handler that takes one
//! cannot run without a decision. Records are then read and written through
//! [`Registry`], which decides again per kind and field, and redacts every
//! record it returns, so pages, API bodies, exports and error bodies all show
//! what the policy allows and nothing else.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use domain::access::{
    Action, Decision, Grants, decide, decide_any, decide_owned, decide_record, forbidden_changes,
};
use domain::partnership::Initiative;
use domain::resource::{Record, Resource};
use domain::validation::FieldMap;
use store::Store;
use store::accounts::User;
use store::partnership::InitiativeView;
use store::records::ListOptions;

use crate::AppState;
use crate::error::AppError;
use crate::session::{ApiCaller, Ctx};

/// An action a route needs, as a type: `Authorized<Read>`, `Authorized<Write>`…
pub trait Need: Send + Sync + 'static {
    const ACTION: Action;
    /// The decision the route needs, before any record is read: the action
    /// on the initiative.
    fn decide(g: &Grants) -> Decision {
        decide_record(g, Self::ACTION, "initiative")
    }
}

/// See the initiative's records.
pub struct Read;
/// Create, change, archive and restore its registry records.
pub struct Write;
/// Read its audit log.
pub struct Audit;
/// Grant roles and invite people.
pub struct ManageAccess;

impl Need for Read {
    const ACTION: Action = Action::Read;
}
impl Need for Write {
    const ACTION: Action = Action::Update;
}
impl Need for Audit {
    const ACTION: Action = Action::ReadAudit;
}
impl Need for ManageAccess {
    const ACTION: Action = Action::ManageAccess;
}
/// Create (`Own<T, Create>`) or change (`Own<T, Write>`) a record of `T`
/// that may belong to an organization: what [`Write`] lets through, and for
/// the entries a partner keeps (`domain::access::partner_keeps`) a partner who
/// speaks for an organization. [`Registry`] then decides each record with its
/// owner (`domain::access::decide_owned`); for every other kind this is
/// exactly [`Write`].
pub struct Own<T, A>(PhantomData<fn() -> (T, A)>);

/// Creating, for [`Own`].
pub struct Create;
impl Need for Create {
    const ACTION: Action = Action::Create;
}

impl<T: Resource, A: Need> Need for Own<T, A> {
    const ACTION: Action = A::ACTION;
    fn decide(g: &Grants) -> Decision {
        match decide_any(g, A::ACTION, T::KIND) {
            Decision::Allow => Decision::Allow,
            _ => Write::decide(g),
        }
    }
}

/// Take part in the agenda: ideas, votes, systems-map answers.
pub struct Participate;
impl Need for Participate {
    const ACTION: Action = Action::Participate;
}

/// Report measured values.
pub struct Report;
impl Need for Report {
    const ACTION: Action = Action::Report;
}

/// Work the by-name lists: names, personal fields, events (case workers and
/// coordinators).
pub struct CaseWork;
impl Need for CaseWork {
    const ACTION: Action = Action::CaseWork;
}

/// The error a refused decision becomes.
pub fn refusal(d: Decision) -> Result<(), AppError> {
    match d {
        Decision::Allow | Decision::Redact => Ok(()),
        Decision::Forbidden => Err(AppError::Forbidden),
        Decision::Hidden => Err(AppError::NotFound),
    }
}

/// The policy's answer for something outside any initiative (networks, new
/// initiatives, restoring an archived one): only the platform's grants count.
/// No initiative is revealed by refusing, so a refusal is 403, never 404.
pub fn platform(user: &User, action: Action, kind: &str) -> Result<(), AppError> {
    match decide_record(&Grants::platform(user.is_admin), action, kind) {
        Decision::Allow => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// The slug in `/i/{slug}/…` or `/api/v1/initiatives/{slug}/…`. Anything that is
/// not a well-formed slug (a NUL byte, say) is "not found" before it reaches
/// the database.
fn slug_in(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/i/")
        .or_else(|| path.strip_prefix("/api/v1/initiatives/"))?;
    let slug = rest.split('/').next()?;
    domain::validation::is_slug(slug).then_some(slug)
}

/// A signed-in page request on an initiative, decided for action `A`.
pub struct Authorized<A: Need> {
    pub ctx: Ctx,
    pub user: User,
    pub view: InitiativeView,
    _need: PhantomData<A>,
}

impl<A: Need> Authorized<A> {
    pub fn initiative(&self) -> &Record<Initiative> {
        &self.view.initiative
    }
    pub fn grants(&self) -> &Grants {
        &self.view.grants
    }
    pub fn registry<'a>(&'a self, store: &'a Store) -> Registry<'a> {
        Registry::new(store, &self.view, Some(&self.user))
    }
}

/// Decide what `A` needs on `view`.
fn decided<A: Need>(view: InitiativeView) -> Result<InitiativeView, AppError> {
    refusal(A::decide(&view.grants))?;
    Ok(view)
}

impl<S, A: Need> FromRequestParts<S> for Authorized<A>
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = crate::error::PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let user = ctx.user()?.clone();
        let slug = slug_in(parts.uri.path()).ok_or(AppError::NotFound)?;
        let view = match &ctx.initiative {
            Some(v) if v.initiative.data.slug == slug => v.clone(),
            _ => {
                let s = AppState::from_ref(state);
                s.store.initiative_view(slug, Some(&user)).await?
            }
        };
        let view = decided::<A>(view)?;
        Ok(Authorized {
            ctx,
            user,
            view,
            _need: PhantomData,
        })
    }
}

/// A JSON API request on an initiative, decided for action `A`.
pub struct ApiAuthorized<A: Need> {
    pub user: User,
    pub view: InitiativeView,
    _need: PhantomData<A>,
}

impl<A: Need> ApiAuthorized<A> {
    pub fn initiative(&self) -> &Record<Initiative> {
        &self.view.initiative
    }
    pub fn registry<'a>(&'a self, store: &'a Store) -> Registry<'a> {
        Registry::new(store, &self.view, Some(&self.user))
    }
}

impl<S, A: Need> FromRequestParts<S> for ApiAuthorized<A>
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiCaller { user } = ApiCaller::from_request_parts(parts, state).await?;
        let slug = slug_in(parts.uri.path()).ok_or(AppError::NotFound)?;
        let s = AppState::from_ref(state);
        let view = s.store.initiative_view(slug, Some(&user)).await?;
        let view = decided::<A>(view)?;
        Ok(ApiAuthorized {
            user,
            view,
            _need: PhantomData,
        })
    }
}

/// How many records refer to one are named on the page that archives it.
pub const REFERRERS_NAMED: u64 = 20;

/// The live records of one kind that refer to a record: how many, and the
/// first [`REFERRERS_NAMED`] as (id, JSON of their data).
pub struct Referrers {
    pub kind: &'static crate::kinds::KindEntry,
    pub count: i64,
    pub records: Vec<(i64, serde_json::Value)>,
}

/// The records of one initiative as one caller may see and change them. Every
/// method asks the policy for its kind first; every record it returns is
/// redacted by the policy.
pub struct Registry<'a> {
    pub(crate) store: &'a Store,
    pub(crate) initiative: i64,
    pub(crate) grants: &'a Grants,
    pub(crate) actor: Option<i64>,
}

impl<'a> Registry<'a> {
    pub fn new(store: &'a Store, view: &'a InitiativeView, user: Option<&User>) -> Self {
        Registry {
            store,
            initiative: view.initiative.id,
            grants: &view.grants,
            actor: user.map(|u| u.id),
        }
    }

    pub fn grants(&self) -> &Grants {
        self.grants
    }

    pub(crate) fn allow<T: Resource>(&self, action: Action) -> Result<(), AppError> {
        refusal(decide_record(self.grants, action, T::KIND))
    }

    pub(crate) fn shown<T: Resource>(&self, mut rec: Record<T>) -> Record<T> {
        rec.data = domain::access::redact(self.grants, rec.data);
        rec
    }

    pub async fn list<T: Resource>(&self, opts: ListOptions) -> Result<Vec<Record<T>>, AppError> {
        self.allow::<T>(Action::Read)?;
        let items = self.store.list::<T>(Some(self.initiative), opts).await?;
        Ok(items.into_iter().map(|r| self.shown(r)).collect())
    }

    /// A page of the records matching `search` (see `Store::search`).
    pub async fn search<T: Resource>(
        &self,
        opts: ListOptions,
        search: &store::records::Search,
    ) -> Result<Vec<Record<T>>, AppError> {
        self.allow::<T>(Action::Read)?;
        let items = self
            .store
            .search::<T>(Some(self.initiative), opts, search)
            .await?;
        Ok(items.into_iter().map(|r| self.shown(r)).collect())
    }

    pub async fn count_matching<T: Resource>(
        &self,
        include_archived: bool,
        search: &store::records::Search,
    ) -> Result<i64, AppError> {
        self.allow::<T>(Action::Read)?;
        Ok(self
            .store
            .count_matching::<T>(Some(self.initiative), include_archived, search)
            .await?)
    }

    /// Create `first`, then what `then` makes from its id, in one transaction
    /// (see `Store::create_linked`); each is checked against the policy with
    /// its submitted fields and the organization it belongs to. A refusal
    /// says which one: `(true, _)` the first.
    pub async fn create_linked<A: Resource, B: Resource>(
        &self,
        first: (&FieldMap, &A),
        then_fields: &FieldMap,
        then: impl FnOnce(i64) -> Result<B, domain::validation::FieldErrors>,
    ) -> Result<(Record<A>, Record<B>), (bool, AppError)> {
        let first_owner = first.1.owner(None);
        check_owned::<A>(self.grants, Action::Create, None, first.0, &[first_owner])
            .map_err(|e| (true, e))?;
        // What `then` will make is decided now when the fields already say
        // (its organization), and again on what it makes.
        let then_owner: Vec<Option<i64>> = B::parse(then_fields)
            .ok()
            .map(|b| b.owner(None))
            .into_iter()
            .collect();
        refusal(decide_any(self.grants, Action::Create, B::KIND)).map_err(|e| (false, e))?;
        check_owned::<B>(self.grants, Action::Create, None, then_fields, &then_owner)
            .map_err(|e| (false, e))?;
        let grants = self.grants.clone();
        let guarded = move |id| {
            let b = then(id)?;
            if !decide_owned(&grants, Action::Create, B::KIND, b.owner(None)).allowed() {
                return Err(domain::validation::FieldErrors::single(
                    "organization_id",
                    "not_yours",
                    "organization_id: you may only add to an organization you speak for",
                ));
            }
            Ok(b)
        };
        self.store
            .create_linked(self.actor, Some(self.initiative), first.1, guarded)
            .await
            .map(|(a, b)| (self.shown(a), self.shown(b)))
            .map_err(|(which, e)| (which, AppError::from(e)))
    }

    /// Create every value in one transaction, or none (an import); `submitted`
    /// holds each row's fields. A refusal gives the position of the row.
    pub async fn create_all<T: Resource>(
        &self,
        submitted: &[FieldMap],
        values: &[T],
    ) -> Result<usize, (usize, AppError)> {
        for (n, fields) in submitted.iter().enumerate() {
            check_write::<T>(self.grants, Action::Create, None, fields).map_err(|e| (n, e))?;
        }
        self.store
            .create_all(self.actor, Some(self.initiative), values)
            .await
            .map_err(|(n, e)| (n, AppError::from(e)))
    }

    pub async fn count<T: Resource>(&self, include_archived: bool) -> Result<i64, AppError> {
        self.allow::<T>(Action::Read)?;
        Ok(self
            .store
            .count::<T>(Some(self.initiative), include_archived)
            .await?)
    }

    pub async fn get<T: Resource>(&self, id: i64) -> Result<Record<T>, AppError> {
        self.allow::<T>(Action::Read)?;
        let rec = self.store.get::<T>(Some(self.initiative), id).await?;
        Ok(self.shown(rec))
    }

    /// A record to change (its edit form, before a save is parsed): read,
    /// and refused unless these grants may change this one record — a
    /// partner its own organization's entries, a coordinator any.
    pub async fn editable<T: Resource>(&self, id: i64) -> Result<Record<T>, AppError> {
        refusal(decide_any(self.grants, Action::Update, T::KIND))?;
        let rec = self.get::<T>(id).await?;
        refusal(decide_owned(
            self.grants,
            Action::Update,
            T::KIND,
            rec.data.owner(Some(id)),
        ))?;
        Ok(rec)
    }

    /// Refuse a change to record `id` these grants may not make, before the
    /// submission is parsed (a partner learns nothing from the errors of an
    /// entry that is not theirs). Reads the record only when who may change it
    /// depends on its owner.
    pub async fn check_editable<T: Resource>(&self, id: i64) -> Result<(), AppError> {
        if decide_record(self.grants, Action::Update, T::KIND).allowed() {
            return Ok(());
        }
        self.editable::<T>(id).await.map(|_| ())
    }

    /// Whether these grants may do `action` on this record (`id` when it is
    /// stored): what a page offers, an Edit link or a New button.
    pub fn may<T: Resource>(&self, action: Action, id: Option<i64>, value: &T) -> bool {
        decide_owned(self.grants, action, T::KIND, value.owner(id)).allowed()
    }

    /// Create from submitted fields (already parsed into `value`).
    pub async fn create<T: Resource>(
        &self,
        submitted: &FieldMap,
        value: &T,
    ) -> Result<Record<T>, AppError> {
        check_owned::<T>(
            self.grants,
            Action::Create,
            None,
            submitted,
            &[value.owner(None)],
        )?;
        let result = self
            .store
            .create(self.actor, Some(self.initiative), value)
            .await;
        self.finish(result)
    }

    pub async fn update<T: Resource>(
        &self,
        id: i64,
        version: i64,
        submitted: &FieldMap,
        value: &T,
    ) -> Result<Record<T>, AppError> {
        // Changed as submitted and as stored: an entry is not moved to an
        // organization the caller does not speak for, nor taken from one.
        let mut owners = vec![value.owner(Some(id))];
        if !decide_record(self.grants, Action::Update, T::KIND).allowed()
            && decide_any(self.grants, Action::Update, T::KIND).allowed()
        {
            let stored = self.store.get::<T>(Some(self.initiative), id).await?;
            owners.push(stored.data.owner(Some(id)));
        }
        check_owned::<T>(self.grants, Action::Update, None, submitted, &owners)?;
        let result = self
            .store
            .update(self.actor, Some(self.initiative), id, version, value)
            .await;
        self.finish(result)
    }

    pub async fn set_archived<T: Resource>(
        &self,
        id: i64,
        version: Option<i64>,
        archived: bool,
    ) -> Result<Record<T>, AppError> {
        let action = if archived {
            Action::Archive
        } else {
            Action::Restore
        };
        check_write::<T>(self.grants, action, None, &FieldMap::new())?;
        let result = self
            .store
            .set_archived::<T>(self.actor, Some(self.initiative), id, version, archived)
            .await;
        self.finish(result)
    }

    /// Merge record `from` into `into` (see `Store::merge`): a coordinator's
    /// act, as archiving is. Gives the references moved: (table, count).
    pub async fn merge<T: Resource>(
        &self,
        from: i64,
        into: i64,
    ) -> Result<Vec<(String, u64)>, AppError> {
        check_write::<T>(self.grants, Action::Archive, None, &FieldMap::new())?;
        check_write::<T>(self.grants, Action::Update, None, &FieldMap::new())?;
        let moved = self
            .store
            .merge::<T>(self.actor, self.initiative, from, into)
            .await?;
        Ok(moved.into_iter().map(|(t, _, n)| (t, n)).collect())
    }

    /// (id, label) of every live record of `T`, by label.
    pub async fn names<T: crate::kinds::Kind>(&self) -> Result<Vec<(i64, String)>, AppError> {
        self.allow::<T>(Action::Read)?;
        Ok(self
            .store
            .names(T::TABLE, T::LABEL, Some(self.initiative))
            .await?)
    }

    /// Every row of any table that refers to record `id` of `T`: what a merge
    /// would move, (table, count).
    pub async fn references<T: Resource>(&self, id: i64) -> Result<Vec<(String, i64)>, AppError> {
        self.allow::<T>(Action::Read)?;
        Ok(self.store.references_to(T::TABLE, id).await?)
    }

    /// What refers to record `id` of kind `T`: (kind path, count) for every
    /// declared kind with a reference to `T`'s table, where the count is not 0.
    pub async fn referrers<T: Resource>(&self, id: i64) -> Result<Vec<Referrers>, AppError> {
        self.allow::<T>(Action::Read)?;
        let mut out = vec![];
        for k in crate::kinds::KINDS {
            // Only kinds this caller may read are named (a count stays).
            let readable = decide_record(self.grants, Action::Read, k.kind).allowed();
            for c in (k.columns)() {
                if c.refers_to == Some(T::TABLE) {
                    let n = self
                        .store
                        .count_referring(k.table, c.name, id, Some(self.initiative))
                        .await?;
                    if n == 0 {
                        continue;
                    }
                    let records = if readable {
                        self.store
                            .referring(
                                k.table,
                                (k.columns)(),
                                c.name,
                                id,
                                Some(self.initiative),
                                REFERRERS_NAMED,
                            )
                            .await?
                    } else {
                        vec![]
                    };
                    out.push(Referrers {
                        kind: k,
                        count: n,
                        records,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Erase a record's contact details for good, from the record and from the
    /// audit log's values (see `Store::erase_fields`).
    pub async fn erase_contact<T: Resource>(&self, id: i64) -> Result<Record<T>, AppError> {
        let fields = contact_fields::<T>();
        if fields.is_empty() {
            return Err(AppError::NotFound);
        }
        refusal(decide(
            self.grants,
            Action::Update,
            T::KIND,
            domain::resource::Class::Contact,
        ))?;
        let rec = self
            .store
            .erase_fields::<T>(self.actor, Some(self.initiative), id, &fields)
            .await?;
        Ok(self.shown(rec))
    }

    /// "Who is at the table": every live body with its current seats.
    pub async fn table(
        &self,
        today: chrono::NaiveDate,
    ) -> Result<
        Vec<(
            Record<domain::partnership::Body>,
            domain::partnership::Table,
        )>,
        AppError,
    > {
        self.allow::<domain::partnership::Body>(Action::Read)?;
        self.allow::<domain::partnership::Membership>(Action::Read)?;
        Ok(self.store.at_the_table(self.initiative, today).await?)
    }

    /// The seats of one body (or all): names, organizations, positions and terms
    /// (what a seat pays is only on the membership record, redacted there).
    pub async fn members(
        &self,
        body: Option<i64>,
    ) -> Result<Vec<store::partnership::MemberRow>, AppError> {
        use domain::partnership::Membership;
        self.allow::<Membership>(Action::Read)?;
        Ok(self.store.members(self.initiative, body, None).await?)
    }

    /// A page of the initiative's audit log.
    pub async fn audit(
        &self,
        mut filter: store::audit::Filter,
    ) -> Result<Vec<store::audit::Entry>, AppError> {
        refusal(decide_record(self.grants, Action::ReadAudit, "initiative"))?;
        filter.initiative = Some(self.initiative);
        Ok(self.store.audit(&filter).await?)
    }

    /// (id, name) of the accounts that hold a role here: whom the audit log
    /// can be filtered by.
    pub async fn audit_actors(&self) -> Result<Vec<(i64, String)>, AppError> {
        refusal(decide_record(self.grants, Action::ReadAudit, "initiative"))?;
        let mut users: Vec<(i64, String)> = self
            .store
            .initiative_users(self.initiative)
            .await?
            .into_iter()
            .map(|(u, _)| (u.id, u.display_name))
            .collect();
        users.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(users)
    }

    /// Accounts that hold a role here, and open invitations.
    #[allow(clippy::type_complexity)]
    pub async fn access_list(
        &self,
    ) -> Result<
        (
            Vec<(User, Vec<domain::access::Role>)>,
            Vec<store::accounts::Invitation>,
        ),
        AppError,
    > {
        refusal(decide_record(
            self.grants,
            Action::ManageAccess,
            "initiative",
        ))?;
        Ok((
            self.store.initiative_users(self.initiative).await?,
            self.store.open_invitations(self.initiative).await?,
        ))
    }

    /// The organization each account speaks for here: (user id, organization
    /// id), for the Access page.
    pub async fn spoken_for(&self) -> Result<Vec<(i64, i64)>, AppError> {
        refusal(decide_record(
            self.grants,
            Action::ManageAccess,
            "initiative",
        ))?;
        Ok(self.store.spoken_for(self.initiative).await?)
    }

    pub async fn withdraw_invitation(&self, id: i64) -> Result<(), AppError> {
        refusal(decide_record(
            self.grants,
            Action::ManageAccess,
            "initiative",
        ))?;
        Ok(self
            .store
            .revoke_invitation(self.actor, self.initiative, id)
            .await?)
    }

    /// A fresh link for an open invitation (the old link stops working):
    /// the new invitation's id and secret.
    pub async fn renew_invitation(&self, id: i64) -> Result<(i64, String), AppError> {
        refusal(decide_record(
            self.grants,
            Action::ManageAccess,
            "initiative",
        ))?;
        Ok(self
            .store
            .renew_invitation(self.actor, self.initiative, id)
            .await?)
    }

    /// Redact the record returned, and the current values a 409 carries.
    fn finish<T: Resource>(
        &self,
        result: Result<Record<T>, store::StoreError>,
    ) -> Result<Record<T>, AppError> {
        match result.map_err(AppError::from) {
            Ok(rec) => Ok(self.shown(rec)),
            Err(AppError::Conflict { mut current }) => {
                domain::access::redact_json::<T>(self.grants, &mut current);
                Err(AppError::Conflict { current })
            }
            Err(e) => Err(e),
        }
    }
}

/// The policy's answer to a write of `submitted` over `current`, as an error the
/// handlers already know how to show: 404/403 for the record, 403 naming the
/// fields the caller may not change.
pub fn check_write<T: Resource>(
    grants: &Grants,
    action: Action,
    current: Option<&FieldMap>,
    submitted: &FieldMap,
) -> Result<(), AppError> {
    refusal(decide_record(grants, action, T::KIND))?;
    if !forbidden_changes::<T>(grants, action, current, submitted).is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// [`check_write`] for a record that belongs to an organization: decided with
/// each owner given (`domain::access::decide_owned`), all of which must allow.
pub fn check_owned<T: Resource>(
    grants: &Grants,
    action: Action,
    current: Option<&FieldMap>,
    submitted: &FieldMap,
    owners: &[Option<i64>],
) -> Result<(), AppError> {
    for owner in owners {
        refusal(decide_owned(grants, action, T::KIND, *owner))?;
    }
    if !forbidden_changes::<T>(grants, action, current, submitted).is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Whether a form should offer a field to these grants.
pub fn may_write_field<T: Resource>(grants: &Grants, action: Action, field: &str) -> bool {
    T::columns()
        .iter()
        .find(|c| c.name == field)
        .is_none_or(|c| decide(grants, action, T::KIND, c.class).allowed())
}

/// What anyone may see of an initiative, without an account: only what its
/// coordinators marked public, and a person's name only with that person's
/// recorded consent. The portal reads an initiative through this and nothing
/// else.
pub struct Published<'a> {
    store: &'a Store,
    pub view: InitiativeView,
}

impl<'a> Published<'a> {
    /// A live initiative whose portal is published; otherwise "not found".
    pub async fn open(store: &'a Store, slug: &str) -> Result<Published<'a>, AppError> {
        if !domain::validation::is_slug(slug) {
            return Err(AppError::NotFound);
        }
        let view = store.initiative_view(slug, None).await?;
        if !view.initiative.data.public {
            return Err(AppError::NotFound);
        }
        Ok(Published { store, view })
    }

    pub fn initiative(&self) -> &Record<Initiative> {
        &self.view.initiative
    }

    pub async fn facts(&self) -> Result<Vec<Record<domain::partnership::Fact>>, AppError> {
        let all = self
            .store
            .list::<domain::partnership::Fact>(Some(self.view.initiative.id), ListOptions::all())
            .await?;
        Ok(all.into_iter().filter(|f| f.data.public).collect())
    }

    pub async fn stages(&self) -> Result<Vec<Record<domain::partnership::StageReached>>, AppError> {
        let all = self
            .store
            .list::<domain::partnership::StageReached>(
                Some(self.view.initiative.id),
                ListOptions::all(),
            )
            .await?;
        Ok(all.into_iter().filter(|s| s.data.public).collect())
    }

    /// The common agenda as the portal shows it: the vision if public, public
    /// objectives and activities, the names of the spheres those objectives sit
    /// in (with the spheres above them), and the names of the organizations
    /// leading a public activity. Nothing else of these records leaves here.
    pub async fn agenda(&self) -> Result<PublicAgenda, AppError> {
        use domain::agenda::{Activity, Objective, Sphere, Vision};
        let id = Some(self.view.initiative.id);
        let vision = self
            .store
            .list::<Vision>(id, ListOptions::all())
            .await?
            .into_iter()
            .find(|v| v.data.public);
        let objectives: Vec<_> = self
            .store
            .list::<Objective>(id, ListOptions::all())
            .await?
            .into_iter()
            .filter(|o| o.data.public)
            .collect();
        let activities: Vec<_> = self
            .store
            .list::<Activity>(id, ListOptions::all())
            .await?
            .into_iter()
            .filter(|a| a.data.public)
            .collect();
        let all_spheres = self.store.list::<Sphere>(id, ListOptions::all()).await?;
        let mut wanted: Vec<i64> = objectives.iter().filter_map(|o| o.data.sphere_id).collect();
        let mut spheres: Vec<(i64, String, Option<i64>)> = vec![];
        while let Some(s) = wanted.pop() {
            if spheres.iter().any(|(i, _, _)| *i == s) {
                continue;
            }
            if let Some(r) = all_spheres.iter().find(|r| r.id == s) {
                spheres.push((r.id, r.data.name.clone(), r.data.parent_id));
                wanted.extend(r.data.parent_id);
            }
        }
        let leads: Vec<i64> = activities
            .iter()
            .filter_map(|a| a.data.lead_organization_id)
            .collect();
        let organizations = self
            .store
            .list::<domain::partnership::Organization>(id, ListOptions::all())
            .await?
            .into_iter()
            .filter(|o| leads.contains(&o.id))
            .map(|o| (o.id, o.data.name))
            .collect();
        Ok(PublicAgenda {
            vision,
            objectives,
            spheres,
            activities,
            organizations,
        })
    }

    /// Public bodies with their current table. Names of people who did not
    /// consent to be named publicly are removed here, before any template sees
    /// them.
    pub async fn bodies(
        &self,
        today: chrono::NaiveDate,
    ) -> Result<
        Vec<(
            Record<domain::partnership::Body>,
            domain::partnership::Table,
        )>,
        AppError,
    > {
        let all = self
            .store
            .at_the_table(self.view.initiative.id, today)
            .await?;
        Ok(all
            .into_iter()
            .filter(|(b, _)| b.data.public)
            .map(|(b, mut t)| {
                for seat in t
                    .by_sector
                    .values_mut()
                    .flatten()
                    .chain(t.unaffiliated.iter_mut())
                {
                    if !seat.named_publicly {
                        seat.person.clear();
                    }
                }
                (b, t)
            })
            .collect())
    }

    /// The public services directory: every live service of the initiative
    /// that is not defunct and whose organization is live, with that
    /// organization and its location (when the location is live too), sorted
    /// by name. Services, organizations and locations hold no person's contact
    /// details; the service's own web address and email are how residents
    /// reach it.
    #[allow(clippy::type_complexity)]
    pub async fn services(
        &self,
    ) -> Result<
        Vec<(
            Record<domain::partnership::Service>,
            Record<domain::partnership::Organization>,
            Option<Record<domain::partnership::Location>>,
        )>,
        AppError,
    > {
        use domain::partnership::{Location, Organization, Service, ServiceStatus};
        let id = Some(self.view.initiative.id);
        let services = self.store.list::<Service>(id, ListOptions::all()).await?;
        let organizations = self
            .store
            .list::<Organization>(id, ListOptions::all())
            .await?;
        let locations = self.store.list::<Location>(id, ListOptions::all()).await?;
        let mut out: Vec<_> = services
            .into_iter()
            .filter(|s| s.data.status != ServiceStatus::Defunct)
            .filter_map(|s| {
                let org = organizations
                    .iter()
                    .find(|o| o.id == s.data.organization_id)?
                    .clone();
                let loc = s
                    .data
                    .location_id
                    .and_then(|l| locations.iter().find(|r| r.id == l).cloned());
                Some((s, org, loc))
            })
            .collect();
        out.sort_by(|a, b| a.0.data.name.cmp(&b.0.data.name));
        Ok(out)
    }
}

impl Published<'_> {
    /// Rounds whose results and map the coordinators published, newest first.
    pub async fn rounds(&self) -> Result<Vec<crate::agenda::RoundData>, AppError> {
        let rounds = self
            .store
            .list::<domain::agenda::Round>(Some(self.view.initiative.id), ListOptions::all())
            .await?;
        let mut out = vec![];
        for r in rounds.into_iter().rev().filter(|r| r.data.public) {
            out.push(self.round(r.id).await?);
        }
        Ok(out)
    }

    /// One published round; "not found" when it is not public.
    pub async fn round(&self, id: i64) -> Result<crate::agenda::RoundData, AppError> {
        let data = crate::agenda::RoundData::load(self.store, self.view.initiative.id, id).await?;
        if !data.published() {
            return Err(AppError::NotFound);
        }
        // Only ideas a coordinator accepted ever sit in a round; check anyway.
        if data
            .ideas
            .iter()
            .any(|i| i.data.status != domain::agenda::IdeaStatus::Accepted)
        {
            return Err(AppError::NotFound);
        }
        Ok(data)
    }

    /// A visitor's idea: it waits, unseen, until a coordinator accepts it.
    pub async fn suggest(&self, idea: &domain::agenda::Idea) -> Result<(), AppError> {
        self.store
            .create(None, Some(self.view.initiative.id), idea)
            .await?;
        Ok(())
    }
}

/// What [`Published::agenda`] returns.
pub struct PublicAgenda {
    pub vision: Option<Record<domain::agenda::Vision>>,
    pub objectives: Vec<Record<domain::agenda::Objective>>,
    /// (id, name, parent) of the spheres public objectives sit in, and of the
    /// spheres above them.
    pub spheres: Vec<(i64, String, Option<i64>)>,
    pub activities: Vec<Record<domain::agenda::Activity>>,
    /// (id, name) of the organizations leading a public activity.
    pub organizations: Vec<(i64, String)>,
}

/// The contact-detail fields of a kind (what erasure blanks).
pub fn contact_fields<T: Resource>() -> Vec<&'static str> {
    T::columns()
        .iter()
        .filter(|c| c.class == domain::resource::Class::Contact)
        .map(|c| c.name)
        .collect()
}

/// A signed-in platform admin, decided by the policy (accounts are managed
/// outside any initiative): the admin's pages on users take one. Anyone else
/// is refused with 403, as every admin-only route is.
pub struct PlatformAdmin {
    pub ctx: Ctx,
    pub user: User,
}

impl<S> FromRequestParts<S> for PlatformAdmin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = crate::error::PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let user = ctx.user()?.clone();
        platform(&user, Action::ManageAccess, "user")?;
        Ok(PlatformAdmin { ctx, user })
    }
}

impl PlatformAdmin {
    /// Every account with its roles, last sign-in and whether it is disabled.
    pub async fn users(
        &self,
        store: &Store,
    ) -> Result<Vec<store::accounts::UserOverview>, AppError> {
        Ok(store.users_overview().await?)
    }

    /// Disable an account (its sessions end, its API tokens are revoked) or
    /// enable it again; audited. An admin cannot disable their own account.
    pub async fn set_disabled(
        &self,
        store: &Store,
        user_id: i64,
        disabled: bool,
    ) -> Result<(), AppError> {
        if disabled && user_id == self.user.id {
            return Err(AppError::Forbidden);
        }
        store.user(user_id).await?;
        Ok(store
            .set_disabled(Some(self.user.id), user_id, disabled)
            .await?)
    }

    /// A one-time password reset link for a live account (its secret), to be
    /// passed on by the admin; audited.
    pub async fn reset_link(&self, store: &Store, user_id: i64) -> Result<String, AppError> {
        Ok(store
            .create_password_reset(Some(self.user.id), user_id)
            .await?)
    }
}
