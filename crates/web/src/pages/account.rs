//! The signed-in user's own settings: password, language, API tokens.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use store::StoreError;
use store::accounts::{ApiToken, LoginOutcome};

use super::{Chrome, Submitted, render_status};
use crate::AppState;
use crate::error::{AppError, PageResult};
use crate::i18n;
use crate::session::{Ctx, DEVICE_COOKIE, LANG_COOKIE, Peer, SESSION_COOKIE, cookie, set_cookie};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    email: String,
    language: String,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    message: String,
    error: String,
}

async fn page(
    s: &AppState,
    ctx: &Ctx,
    new_token: Option<String>,
    message: String,
    error: String,
    status: StatusCode,
) -> PageResult {
    let user = ctx.user()?.clone();
    let tokens = s.store.api_tokens(user.id).await?;
    let c = Chrome::new(ctx, ctx.tr.t("account-title"));
    let language = user.language.clone().unwrap_or_default();
    render_status(
        status,
        &AccountPage {
            c,
            email: user.email,
            language,
            tokens,
            new_token,
            message,
            error,
        },
    )
}

pub async fn show(State(s): State<AppState>, ctx: Ctx) -> PageResult {
    page(&s, &ctx, None, String::new(), String::new(), StatusCode::OK).await
}

pub async fn change_password(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Peer(peer): Peer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    let get = |k: &str| sub.fields.get(k).cloned().unwrap_or_default();
    // The current password is checked like a sign-in, under the same limits:
    // a stolen session cannot be used to guess it.
    let ip = super::auth::client_ip(&headers, peer, s.config.trust_proxy);
    let device = cookie(&headers, DEVICE_COOKIE);
    let refused = match s
        .store
        .attempt_login(&user.email, &get("current_password"), &ip, device)
        .await?
    {
        LoginOutcome::Success(_) => None,
        LoginOutcome::Wrong => Some(("account-wrong-password", StatusCode::UNPROCESSABLE_ENTITY)),
        LoginOutcome::Throttled => Some(("login-throttled", StatusCode::TOO_MANY_REQUESTS)),
    };
    if let Some((msg, status)) = refused {
        return page(&s, &ctx, None, String::new(), ctx.tr.t(msg), status).await;
    }
    // Other sessions of this account end and its API tokens are revoked, in the
    // same transaction: whoever knew the old password is out.
    let keep = cookie(&headers, SESSION_COOKIE);
    match s
        .store
        .change_password(user.id, &get("new_password"), keep)
        .await
    {
        Ok(()) => {
            page(
                &s,
                &ctx,
                None,
                ctx.tr.t("account-password-changed"),
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(StoreError::Invalid(e)) => {
            let msg = crate::kinds::errors_text(&ctx.tr, &e);
            page(
                &s,
                &ctx,
                None,
                String::new(),
                msg,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_language(
    State(s): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    let lang = sub.fields.get("language").and_then(|l| i18n::supported(l));
    s.store.set_language(user.id, lang).await?;
    let mut res = Redirect::to("/account").into_response();
    let cookie = match lang {
        Some(l) => set_cookie(LANG_COOKIE, l, 365 * 86400, ctx.secure),
        None => set_cookie(LANG_COOKIE, "", 0, ctx.secure),
    };
    res.headers_mut()
        .append(header::SET_COOKIE, cookie.parse().expect("cookie header"));
    Ok(res)
}

pub async fn create_token(
    State(s): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    let name = sub
        .fields
        .get("name")
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty() && n.chars().count() <= 100);
    let Some(name) = name else {
        let msg = ctx
            .tr
            .t1("error-required", "field", &ctx.tr.t("field-token_name"));
        return page(
            &s,
            &ctx,
            None,
            String::new(),
            msg,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let (_, secret) = s.store.create_api_token(user.id, &name).await?;
    page(
        &s,
        &ctx,
        Some(secret),
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn revoke_token(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    s.store.revoke_api_token(user.id, id).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    to: String,
    back: Option<String>,
}

/// The language switcher in every page's footer: a link, so it works without
/// JavaScript and without an account.
pub async fn switch_language(ctx: Ctx, Query(q): Query<SwitchQuery>) -> PageResult {
    let lang = i18n::supported(&q.to).ok_or(AppError::NotFound)?;
    let back = super::auth::safe_next(q.back.as_deref());
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, lang, 365 * 86400, ctx.secure)
            .parse()
            .expect("cookie header"),
    );
    Ok(res)
}
