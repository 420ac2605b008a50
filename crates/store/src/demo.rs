//! The demo: the Kiryat Malachi Collaborative Initiative as seed 000 describes it,
//! and a homelessness partnership in the style of Built for Zero, in one demo
//! network. Facts and bodies follow the sources; every person's name is invented.
//!
//! Kiryat Malachi also has its common agenda: a vision, the three areas of
//! education with joint objectives and work plans, and two prioritisation rounds
//! over twelve ideas with a completed systems map between them. Nine Forum
//! members took part; their accounts have no password, so no one can sign in as
//! them. Riverside Zero has a smaller agenda: its aim, one objective with its
//! work plan and a round of residents' ideas. Kiryat Malachi also measures:
//! ten years of its education indicators (`measurement::demo`). Each initiative
//! runs the partnership-health check among its members and a public survey of
//! residents, with answers in (`survey::demo`).
//!
//! Loaded in one transaction, only into a database with no initiative yet, so
//! several processes starting together load it once. The rounds' ideas, ballots
//! and map answers are written in that transaction too, by the same row writers
//! as the store's own path (`store::agenda::write_*`) and checked by the same
//! rules (`rounds::check_ballot`, `Inference`): through `Store::cast_ballot` and
//! the like, each in a transaction of its own, a failure would leave a demo half
//! loaded that no later start completes.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use domain::access::Role;
use domain::agenda::rounds;
use domain::agenda::systems_map::{Inference, SystemsMap};
use domain::agenda::{
    Activity, ActivityStatus, Contribution, Idea, IdeaSource, IdeaStatus, Milestone, Objective,
    ObjectiveStatus, Round, Sphere, Vision,
};
use domain::partnership::*;
use domain::resource::Record;
use domain::validation::FieldErrors;

use crate::accounts::{grant_role_in, insert_user_in};
use crate::records::create_in;
use crate::{Engine, Result, Store, StoreError, Timestamp};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid demo date")
}

struct Loader<'a> {
    txn: &'a DatabaseTransaction,
    initiative: i64,
}

impl Loader<'_> {
    async fn fact(&self, label: &str, value: &str, source: &str, year: Option<i64>) -> Result<()> {
        let f = Fact {
            label: label.into(),
            value: value.into(),
            source: source.into(),
            year,
            public: true,
        };
        create_in(self.txn, None, Some(self.initiative), &f).await?;
        Ok(())
    }
    async fn stage(&self, stage: Stage, on: NaiveDate, note: &str) -> Result<()> {
        let s = StageReached {
            stage,
            reached_on: on,
            note: note.into(),
            public: true,
        };
        create_in(self.txn, None, Some(self.initiative), &s).await?;
        Ok(())
    }
    async fn org(
        &self,
        name: &str,
        sector: Sector,
        identifier: Option<&str>,
        website: Option<&str>,
        description: &str,
    ) -> Result<i64> {
        let o = Organization {
            name: name.into(),
            sector,
            identifier: identifier.map(Into::into),
            website: website.map(Into::into),
            description: description.into(),
            translations: Default::default(),
        };
        Ok(create_in(self.txn, None, Some(self.initiative), &o)
            .await?
            .id)
    }
    async fn person(&self, name: &str) -> Result<i64> {
        self.person_with(name, None).await
    }
    /// A person who agreed, on `consent`, to be named on the public portal.
    async fn public_person(&self, name: &str, consent: NaiveDate) -> Result<i64> {
        self.person_with(name, Some(consent)).await
    }
    async fn person_with(&self, name: &str, consent: Option<NaiveDate>) -> Result<i64> {
        let email = format!(
            "{}@example.org",
            name.to_lowercase()
                .replace(['\'', '.'], "")
                .replace(' ', ".")
        );
        let p = Person {
            name: name.into(),
            email: Some(email),
            phone: None,
            user_id: None,
            public_name_consent_on: consent,
        };
        Ok(create_in(self.txn, None, Some(self.initiative), &p)
            .await?
            .id)
    }
    async fn body(
        &self,
        name: &str,
        kind: BodyKind,
        purpose: &str,
        min: i64,
        max: i64,
    ) -> Result<i64> {
        let b = Body {
            name: name.into(),
            kind,
            purpose: purpose.into(),
            cadence_min_days: min,
            cadence_max_days: max,
            public: true,
            quorum: None,
            agenda_notice_days: None,
            translations: Default::default(),
        };
        Ok(create_in(self.txn, None, Some(self.initiative), &b)
            .await?
            .id)
    }
    #[allow(clippy::too_many_arguments)]
    async fn seat(
        &self,
        body: i64,
        person: i64,
        org: Option<i64>,
        position: Position,
        start: NaiveDate,
        stipend: Option<(i64, &str)>,
    ) -> Result<()> {
        let m = Membership {
            body_id: body,
            person_id: person,
            organization_id: org,
            position,
            start_date: start,
            end_date: None,
            stipend_hourly_cents: stipend.map(|s| s.0),
            stipend_currency: stipend.map(|s| s.1.to_string()),
        };
        create_in(self.txn, None, Some(self.initiative), &m).await?;
        Ok(())
    }
    async fn location(
        &self,
        org: i64,
        name: &str,
        address: &str,
        city: &str,
        postal: &str,
        country: &str,
    ) -> Result<i64> {
        let l = Location {
            organization_id: org,
            name: name.into(),
            address: address.into(),
            city: city.into(),
            postal_code: postal.into(),
            country: country.into(),
            translations: Default::default(),
        };
        Ok(create_in(self.txn, None, Some(self.initiative), &l)
            .await?
            .id)
    }
    async fn service(
        &self,
        org: i64,
        location: Option<i64>,
        name: &str,
        description: &str,
    ) -> Result<()> {
        let s = Service {
            organization_id: org,
            location_id: location,
            name: name.into(),
            description: description.into(),
            url: None,
            email: None,
            status: ServiceStatus::Active,
            translations: Default::default(),
        };
        create_in(self.txn, None, Some(self.initiative), &s).await?;
        Ok(())
    }
}

impl Store {
    /// Load the demo when the database holds no initiative. Returns whether it loaded.
    pub async fn load_demo(&self) -> Result<bool> {
        let txn = self.write_txn().await?;
        if self.engine == Engine::Postgres {
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7461002)")
                .await?;
        }
        let n = crate::records::count(
            &txn,
            &sea_orm::sea_query::Query::select()
                .expr(sea_orm::sea_query::Expr::cust("COUNT(*)"))
                .from(sea_orm::sea_query::Alias::new("initiatives"))
                .to_owned(),
        )
        .await?;
        if n > 0 {
            return Ok(false);
        }
        let network = create_in(
            &txn,
            None,
            None,
            &Network {
                name: "Demo Collective Impact Network".into(),
                slug: "demo-network".into(),
                description:
                    "A demo cohort of local partnerships that compare notes and share what works."
                        .into(),
            },
        )
        .await?;
        kiryat_malachi(&txn, &network).await?;
        riverside_zero(&txn, &network).await?;
        txn.commit().await?;
        Ok(true)
    }
}

async fn kiryat_malachi(txn: &DatabaseTransaction, network: &Record<Network>) -> Result<()> {
    let i = create_in(
        txn,
        None,
        None,
        &Initiative {
            name: "Kiryat Malachi Collaborative Initiative".into(),
            slug: "kiryat-malachi".into(),
            place: "Kiryat Malachi, Southern District, Israel".into(),
            languages: "he,en,am,ru".into(),
            description: "Sparking social and economic mobility: every resident, from birth through employment, with an equal opportunity for success and self-realization, regardless of background. Launched in mid-2016; the first sphere is education.".into(),
            network_id: Some(network.id),
            public: true,
            time_zone: Some("Asia/Jerusalem".into()),
            currency: Some("ILS".into()),
            translations: Default::default(),
        },
    )
    .await?;
    let l = Loader {
        txn,
        initiative: i.id,
    };
    let src = "Kiryat Malachi, Education City – Turning Challenges into Levers";
    l.fact("Population", "23,500", src, Some(2016)).await?;
    l.fact("Residents under 30", "55%", src, Some(2016)).await?;
    l.fact("New immigrants", "over 20%", src, Some(2016))
        .await?;
    l.fact("Socio-economic cluster", "4 of 10", src, Some(2016))
        .await?;
    l.fact(
        "Families in the care of the Welfare Division",
        "about 40%",
        src,
        Some(2016),
    )
    .await?;
    l.stage(Stage::Administration, d(2016, 7, 1), "Local Administration of all sectors established; the mayor chairs, all members have equal status.").await?;
    l.stage(
        Stage::DataCollection,
        d(2016, 12, 1),
        "Surveys, interviews, measurement and reports from the city.",
    )
    .await?;
    l.stage(
        Stage::JointObjectives,
        d(2017, 5, 1),
        "Education chosen first: informal education, early childhood, excellence.",
    )
    .await?;
    l.stage(
        Stage::WorkPlans,
        d(2017, 11, 1),
        "A work plan in each of the three areas.",
    )
    .await?;

    let muni = l
        .org(
            "Kiryat Malachi Municipality",
            Sector::LocalGovernment,
            None,
            None,
            "The local authority; the mayor chairs the Administration.",
        )
        .await?;
    let edu = l
        .org(
            "Municipal Education Division",
            Sector::LocalGovernment,
            None,
            None,
            "Runs the local education system.",
        )
        .await?;
    let welfare = l
        .org(
            "Municipal Welfare Division",
            Sector::LocalGovernment,
            None,
            None,
            "",
        )
        .await?;
    let ministry = l
        .org(
            "Ministry of Education, Southern District",
            Sector::NationalGovernment,
            None,
            None,
            "Government ministry represented in the Administration.",
        )
        .await?;
    let rashi = l
        .org(
            "Rashi Foundation",
            Sector::Philanthropy,
            Some("IL-RA-580000101"),
            Some("https://www.example.org/rashi"),
            "Foundation partner; represented on the Steering Committee.",
        )
        .await?;
    let tauber = l
        .org(
            "Joel Tauber Foundation",
            Sector::Philanthropy,
            Some("IL-RA-580000102"),
            None,
            "Foundation partner.",
        )
        .await?;
    let gazit = l
        .org(
            "Gazit Globe",
            Sector::Business,
            Some("IL-ROC-520000103"),
            Some("https://www.example.org/gazit"),
            "Corporate partner; represented on the Steering Committee.",
        )
        .await?;
    let backbone = l
        .org(
            "Southern Partnerships Association",
            Sector::CivilSociety,
            Some("IL-RA-580000104"),
            None,
            "The outside body that employs the Local Initiative Coordinator (invented name).",
        )
        .await?;
    let school = l
        .org(
            "Kiryat Malachi Comprehensive School",
            Sector::LocalGovernment,
            None,
            None,
            "Secondary school (invented name).",
        )
        .await?;
    let youth = l
        .org(
            "Young People's Center",
            Sector::LocalGovernment,
            None,
            None,
            "Founded by the philanthropic partners; now a municipal body.",
        )
        .await?;
    let residents = l
        .org(
            "Kiryat Malachi Residents' Forum",
            Sector::ResidentsGroup,
            None,
            None,
            "Residents and activists (invented name).",
        )
        .await?;
    let community = l
        .org(
            "Ethiopian-Israeli Community Association",
            Sector::CivilSociety,
            Some("IL-RA-580000105"),
            None,
            "Community organization (invented name).",
        )
        .await?;

    let forum = l.body("Administration Forum", BodyKind::Assembly, "Leads the consolidation of the agenda and the joint objectives; approves the work plan; supervises measurement and evaluation; recruits resources.", 28, 42).await?;
    let steering = l
        .body(
            "Steering Committee",
            BodyKind::SteeringCommittee,
            "Manages the initiative and monitors its actions between Forum meetings.",
            14,
            21,
        )
        .await?;
    let informal = l
        .body(
            "Informal Education Team",
            BodyKind::ActionTeam,
            "Work plan for informal education and youth movements.",
            14,
            28,
        )
        .await?;
    let early = l
        .body(
            "Early Childhood Team",
            BodyKind::ActionTeam,
            "Work plan for early childhood.",
            14,
            28,
        )
        .await?;
    let excellence = l
        .body(
            "Excellence Team",
            BodyKind::ActionTeam,
            "Work plan for excellence in schools.",
            14,
            28,
        )
        .await?;

    let start = d(2016, 7, 1);
    // Invented names; the roles are those of seed 000.
    // Office holders who agreed to be named on the portal.
    let consent = NaiveDate::from_ymd_opt(2016, 9, 1).expect("date");
    let mayor = l.public_person("Eli Ben-Shimon", consent).await?;
    let dg = l.public_person("Miriam Dahan", consent).await?;
    let edu_dir = l.person("Yonatan Avraham").await?;
    let coordinator = l.person("Noa Shalev").await?;
    let rashi_rep = l.person("Daniel Mizrahi").await?;
    let gazit_rep = l.person("Tamar Katz").await?;
    let early_dir = l.person("Rivka Almog").await?;
    l.seat(forum, mayor, Some(muni), Position::Chair, start, None)
        .await?;
    l.seat(
        forum,
        coordinator,
        Some(backbone),
        Position::Coordinator,
        start,
        None,
    )
    .await?;
    for (p, o) in [
        (dg, muni),
        (edu_dir, edu),
        (rashi_rep, rashi),
        (gazit_rep, gazit),
        (early_dir, edu),
    ] {
        l.seat(forum, p, Some(o), Position::Member, start, None)
            .await?;
    }
    l.seat(steering, dg, Some(muni), Position::Chair, start, None)
        .await?;
    l.seat(steering, edu_dir, Some(edu), Position::Member, start, None)
        .await?;
    l.seat(
        steering,
        coordinator,
        Some(backbone),
        Position::Coordinator,
        start,
        None,
    )
    .await?;
    l.seat(
        steering,
        rashi_rep,
        Some(rashi),
        Position::Member,
        start,
        None,
    )
    .await?;
    l.seat(
        steering,
        gazit_rep,
        Some(gazit),
        Position::Member,
        start,
        None,
    )
    .await?;
    // The rest of the roughly thirty Forum members.
    let others: [(&str, Option<i64>); 23] = [
        ("Avigail Peretz", Some(welfare)),
        ("Moshe Tesfaye", Some(community)),
        ("Sara Biton", Some(residents)),
        ("Yosef Alemu", Some(community)),
        ("Hila Gabay", Some(school)),
        ("Oren Malka", Some(school)),
        ("Liat Azoulay", Some(ministry)),
        ("Ruth Levy-Tzur", Some(tauber)),
        ("Amir Cohen", Some(youth)),
        ("Dina Sasson", Some(residents)),
        ("Itai Ohana", None),
        ("Shira Ben-Ami", None),
        ("Michael Gebre", None),
        ("Orly Hazan", Some(welfare)),
        ("Ze'ev Friedman", Some(ministry)),
        ("Yael Amsalem", Some(edu)),
        ("Baruch Tadesse", Some(community)),
        ("Efrat Swissa", Some(school)),
        ("Nir Elbaz", Some(youth)),
        ("Galit Ronen", Some(residents)),
        ("Avraham Mengistu", None),
        ("Keren Vaknin", Some(muni)),
        ("Lior Buskila", Some(tauber)),
    ];
    let mut people = vec![];
    for (name, org) in others {
        let p = l.person(name).await?;
        l.seat(forum, p, org, Position::Member, start, None).await?;
        people.push((p, org));
    }
    l.seat(
        informal,
        people[8].0,
        Some(youth),
        Position::Chair,
        d(2017, 5, 15),
        None,
    )
    .await?;
    l.seat(
        informal,
        coordinator,
        Some(backbone),
        Position::Coordinator,
        d(2017, 5, 15),
        None,
    )
    .await?;
    l.seat(
        informal,
        people[9].0,
        Some(residents),
        Position::Member,
        d(2017, 5, 15),
        None,
    )
    .await?;
    l.seat(
        early,
        early_dir,
        Some(edu),
        Position::Chair,
        d(2017, 5, 15),
        None,
    )
    .await?;
    l.seat(
        early,
        people[0].0,
        Some(welfare),
        Position::Member,
        d(2017, 5, 15),
        None,
    )
    .await?;
    l.seat(
        excellence,
        people[4].0,
        Some(school),
        Position::Chair,
        d(2017, 5, 15),
        None,
    )
    .await?;
    l.seat(
        excellence,
        people[7].0,
        Some(tauber),
        Position::Member,
        d(2017, 5, 15),
        None,
    )
    .await?;

    let center = l
        .location(
            youth,
            "Young People's Center",
            "1 Herzl Street",
            "Kiryat Malachi",
            "8300000",
            "IL",
        )
        .await?;
    let early_loc = l
        .location(
            edu,
            "Early Childhood Center",
            "5 Ben Gurion Street",
            "Kiryat Malachi",
            "8300000",
            "IL",
        )
        .await?;
    l.service(
        youth,
        Some(center),
        "Youth movements and clubs",
        "After-school youth movements, clubs and volunteering for ages 10–18.",
    )
    .await?;
    l.service(
        youth,
        Some(center),
        "Employment and studies counselling",
        "Guidance for young adults on studies, army service and first jobs.",
    )
    .await?;
    l.service(
        edu,
        Some(early_loc),
        "Parent and toddler groups",
        "Weekly groups for parents of children from birth to three.",
    )
    .await?;
    crate::measurement::demo::kiryat_malachi(
        txn,
        l.initiative,
        &crate::measurement::demo::Reporters { edu, school, youth },
    )
    .await?;
    crate::survey::demo(txn, l.initiative, 14, 23, 1).await?;
    agenda(
        &l,
        &Partners {
            muni,
            edu,
            welfare,
            ministry,
            rashi,
            tauber,
            gazit,
            school,
            youth,
            residents,
            community,
            informal,
            early,
            excellence,
        },
    )
    .await?;
    crate::funding::demo::kiryat_malachi(
        txn,
        l.initiative,
        crate::funding::demo::Orgs {
            muni,
            ministry,
            rashi,
            tauber,
            gazit,
        },
    )
    .await?;
    crate::meetings::demo::kiryat_malachi(
        txn,
        l.initiative,
        &crate::meetings::demo::People {
            forum,
            steering,
            dg,
            coordinator,
            gazit_rep,
            rashi_rep,
            municipality: muni,
        },
    )
    .await
}

/// Spanish translations of some of a record's texts (Riverside works in
/// English and Spanish).
fn es(texts: &[(&str, &str)]) -> domain::translations::Translations {
    let mut t = domain::translations::Translations::default();
    t.0.insert(
        "es".into(),
        texts
            .iter()
            .map(|(f, x)| (f.to_string(), x.to_string()))
            .collect(),
    );
    t
}

async fn riverside_zero(txn: &DatabaseTransaction, network: &Record<Network>) -> Result<()> {
    let i = create_in(
        txn,
        None,
        None,
        &Initiative {
            name: "Riverside Zero".into(),
            slug: "riverside-zero".into(),
            place: "Riverside (a demo city)".into(),
            languages: "en,es".into(),
            description: "A community partnership working toward functional zero homelessness with a shared by-name list, in the style of Built for Zero.".into(),
            network_id: Some(network.id),
            public: true,
            time_zone: Some("America/Chicago".into()),
            currency: Some("USD".into()),
            translations: es(&[
                ("name", "Riverside Cero"),
                ("description", "Una alianza comunitaria que trabaja hacia el cero funcional de personas sin hogar con una lista compartida por nombre, al estilo de Built for Zero."),
            ]),
        },
    )
    .await?;
    let l = Loader {
        txn,
        initiative: i.id,
    };
    l.fact(
        "People on the by-name list",
        "412",
        "Demo by-name list, monthly report",
        Some(2025),
    )
    .await?;
    l.fact(
        "Veterans on the by-name list",
        "48",
        "Demo by-name list, monthly report",
        Some(2025),
    )
    .await?;
    l.stage(
        Stage::Administration,
        d(2024, 1, 15),
        "Leadership Council formed.",
    )
    .await?;
    l.stage(
        Stage::DataCollection,
        d(2024, 4, 1),
        "Quality by-name list reached.",
    )
    .await?;

    let city = l
        .org(
            "City of Riverside Housing Department",
            Sector::LocalGovernment,
            None,
            Some("https://www.example.org/riverside-housing"),
            "",
        )
        .await?;
    let coc = l
        .org(
            "Riverside Continuum of Care",
            Sector::CivilSociety,
            Some("US-EIN-990000001"),
            None,
            "Lead agency for the by-name list.",
        )
        .await?;
    let fund = l
        .org(
            "Riverside Community Foundation",
            Sector::Philanthropy,
            Some("US-EIN-990000002"),
            None,
            "",
        )
        .await?;
    let outreach = l
        .org(
            "Harbor Street Outreach",
            Sector::CivilSociety,
            Some("US-EIN-990000003"),
            None,
            "Street outreach and case management.",
        )
        .await?;
    let authority = l
        .org(
            "Riverside Housing Authority",
            Sector::LocalGovernment,
            None,
            None,
            "",
        )
        .await?;
    let lived = l
        .org(
            "Lived Experience Advisory Board",
            Sector::ResidentsGroup,
            None,
            None,
            "People with lived experience of homelessness, paid for their expertise.",
        )
        .await?;

    let council = l
        .body(
            "Leadership Council",
            BodyKind::SteeringCommittee,
            "Owns the aim of functional zero and removes barriers.",
            28,
            35,
        )
        .await?;
    let pat = l
        .body(
            "Provider Action Team",
            BodyKind::ActionTeam,
            "Front-line providers improving referrals together.",
            7,
            7,
        )
        .await?;
    let board = l
        .body(
            "Lived Experience Advisory Board",
            BodyKind::AdvisoryBoard,
            "Advises on every change, paid for their time.",
            28,
            31,
        )
        .await?;
    let start = d(2024, 1, 15);
    let director = l
        .public_person(
            "Jordan Reyes",
            NaiveDate::from_ymd_opt(2023, 1, 10).expect("date"),
        )
        .await?;
    let lead = l.person("Priya Natarajan").await?;
    let funder = l.person("Marcus Bell").await?;
    let worker = l.person("Ana Lucía Ortega").await?;
    let housing = l.person("Grace Whitfield").await?;
    l.seat(council, director, Some(city), Position::Chair, start, None)
        .await?;
    l.seat(council, lead, Some(coc), Position::Coordinator, start, None)
        .await?;
    l.seat(council, funder, Some(fund), Position::Member, start, None)
        .await?;
    l.seat(
        council,
        housing,
        Some(authority),
        Position::Member,
        start,
        None,
    )
    .await?;
    l.seat(pat, worker, Some(outreach), Position::Chair, start, None)
        .await?;
    l.seat(pat, lead, Some(coc), Position::Coordinator, start, None)
        .await?;
    for (n, pos) in [
        ("Denise Carter", Position::Chair),
        ("Luis Romero", Position::Member),
        ("Kayla Brooks", Position::Member),
    ] {
        let p = l.person(n).await?;
        l.seat(board, p, Some(lived), pos, start, Some((2500, "USD")))
            .await?;
    }
    let dropin = l
        .location(
            outreach,
            "Harbor Street Drop-in Center",
            "200 Harbor Street",
            "Riverside",
            "00000",
            "US",
        )
        .await?;
    l.service(
        outreach,
        Some(dropin),
        "Street outreach",
        "Outreach teams meet people where they are and add them to the by-name list with consent.",
    )
    .await?;
    l.service(
        coc,
        None,
        "Coordinated entry",
        "One front door to housing resources, with case conferencing every week.",
    )
    .await?;
    crate::measurement::demo::riverside_zero(txn, l.initiative, coc).await?;
    crate::cases::demo::riverside_zero(txn, l.initiative, [outreach, coc, authority]).await?;
    crate::survey::demo(txn, l.initiative, 6, 4, 2).await?;
    riverside_agenda(&l, coc, outreach, lived, pat).await
}

// ---------------------------------------------------------------------------
// Kiryat Malachi's common agenda: the vision, the three areas of education with
// their joint objectives and work plans, and the ideas the Administration
// prioritised, twice: before and after its systems map.
// ---------------------------------------------------------------------------

/// The organizations and teams of Kiryat Malachi the agenda refers to.
struct Partners {
    muni: i64,
    edu: i64,
    welfare: i64,
    ministry: i64,
    rashi: i64,
    tauber: i64,
    gazit: i64,
    school: i64,
    youth: i64,
    residents: i64,
    community: i64,
    informal: i64,
    early: i64,
    excellence: i64,
}

/// Forum members who took part in the rounds and the map, with their role.
/// Their accounts have no password: they cannot sign in (and do not count as
/// accounts for the first administrator's setup link, see `Store::user_count`).
const PARTICIPANTS: [(&str, Role); 9] = [
    ("Noa Shalev", Role::Partner),
    ("Yonatan Avraham", Role::Partner),
    ("Rivka Almog", Role::Partner),
    ("Hila Gabay", Role::Partner),
    ("Amir Cohen", Role::Partner),
    ("Moshe Tesfaye", Role::Resident),
    ("Sara Biton", Role::Resident),
    ("Dina Sasson", Role::Resident),
    ("Daniel Mizrahi", Role::Funder),
];
const NOA: usize = 0;
const YONATAN: usize = 1;
const RIVKA: usize = 2;
const HILA: usize = 3;
const AMIR: usize = 4;
const MOSHE: usize = 5;
const SARA: usize = 6;
const DINA: usize = 7;
const DANIEL: usize = 8;

/// The ideas of the first round, in the round's order (node `i` of the map is
/// `IDEAS[i]`): title, description, the participant who brought it in (none:
/// from the portal) and its language.
const IDEAS: [(&str, &str, Option<usize>, &str); 12] = [
    (
        "Raise matriculation eligibility in the high schools",
        "More pupils leaving school with a full matriculation certificate: the figure the city is judged by.",
        Some(HILA),
        "en",
    ),
    (
        "Double the number of children in youth movements",
        "Youth movements and organizations in every neighbourhood, with guides who grew up in the city.",
        Some(AMIR),
        "en",
    ),
    (
        "Fill the vacant professional posts in education",
        "Bring professionals into the posts that stand empty (early childhood director, information systems, youth workers): funded by the Administration at first, by the municipality after.",
        Some(NOA),
        "en",
    ),
    (
        "One information system that follows each child",
        "Collect what the kindergartens, schools and welfare services know, with consent, so that decisions start from data.",
        Some(YONATAN),
        "en",
    ),
    (
        "Parent and toddler groups in every neighbourhood",
        "Weekly groups for parents of children from birth to three, close to home.",
        Some(RIVKA),
        "en",
    ),
    (
        "Train kindergarten staff in early language and numeracy",
        "A course for kindergarten teachers and assistants, with coaching in the classroom.",
        Some(RIVKA),
        "en",
    ),
    (
        "After-school study centres with student tutors",
        "Quiet rooms to study in the afternoon, with university students as tutors.",
        Some(DINA),
        "en",
    ),
    (
        "Science and technology programme for middle schools",
        "Enrichment groups and a lab for pupils who want to go further in science.",
        Some(HILA),
        "en",
    ),
    (
        "Counselling for young adults on studies, army service and first jobs",
        "A desk at the Young People's Center where young adults plan what comes after school.",
        Some(AMIR),
        "en",
    ),
    (
        "Ethiopian-Israeli parents as partners in the schools",
        "Parents' committees, interpreters at meetings and mediators who know both cultures.",
        Some(MOSHE),
        "en",
    ),
    (
        "Huertos escolares con jóvenes voluntarios",
        "Que los jóvenes de los movimientos juveniles cuiden con los vecinos un huerto en cada escuela y jardín de infancia.",
        None,
        "es",
    ),
    (
        "Keep young families in the city: tell what the schools achieve",
        "A campaign on billboards and in the local press about the schools' results, so that young families stay.",
        Some(SARA),
        "en",
    ),
];
const BAGRUT: usize = 0;
const MOVEMENTS: usize = 1;
const POSTS: usize = 2;
const DATA: usize = 3;
const TODDLERS: usize = 4;
const KINDERGARTEN: usize = 5;
const STUDY: usize = 6;
const SCIENCE: usize = 7;
const COUNSELLING: usize = 8;
const PARENTS: usize = 9;
const GARDENS: usize = 10;
const FAMILIES: usize = 11;

/// How the ideas truly influence each other (`(a, b)`: progress on `a`
/// significantly helps progress on `b`), as the Forum judged when asked. The
/// vacant posts drive everything else; parents as partners, youth movements
/// and counselling reinforce each other; matriculation, which most members
/// voted for, is an outcome that helps only the city's image.
const INFLUENCES: [(usize, usize); 17] = [
    (POSTS, DATA),
    (POSTS, KINDERGARTEN),
    (POSTS, COUNSELLING),
    (DATA, TODDLERS),
    (DATA, STUDY),
    (KINDERGARTEN, TODDLERS),
    (KINDERGARTEN, SCIENCE),
    (TODDLERS, PARENTS),
    (PARENTS, MOVEMENTS),
    (MOVEMENTS, PARENTS),
    (MOVEMENTS, COUNSELLING),
    (COUNSELLING, MOVEMENTS),
    (MOVEMENTS, GARDENS),
    (PARENTS, STUDY),
    (STUDY, BAGRUT),
    (SCIENCE, BAGRUT),
    (BAGRUT, FAMILIES),
];

/// The first round's ballots (participant, picks): spread, and led by
/// matriculation.
const FIRST_BALLOTS: [(usize, &[usize]); 9] = [
    (NOA, &[POSTS, BAGRUT, DATA]),
    (YONATAN, &[BAGRUT, STUDY, FAMILIES]),
    (RIVKA, &[BAGRUT, TODDLERS, KINDERGARTEN]),
    (HILA, &[BAGRUT, SCIENCE, STUDY]),
    (AMIR, &[MOVEMENTS, COUNSELLING, GARDENS]),
    (MOSHE, &[BAGRUT, PARENTS, FAMILIES]),
    (SARA, &[BAGRUT, FAMILIES, TODDLERS]),
    (DINA, &[BAGRUT, STUDY, GARDENS]),
    (DANIEL, &[BAGRUT, SCIENCE, MOVEMENTS]),
];

/// The second round's ballots, after the map: fewer, and gathered on the
/// drivers.
const SECOND_BALLOTS: [(usize, &[usize]); 8] = [
    (NOA, &[POSTS, DATA, PARENTS]),
    (YONATAN, &[POSTS, DATA, BAGRUT]),
    (RIVKA, &[POSTS, TODDLERS, DATA]),
    (HILA, &[POSTS, DATA, BAGRUT]),
    (MOSHE, &[PARENTS, POSTS, DATA]),
    (SARA, &[POSTS, PARENTS, BAGRUT]),
    (DINA, &[POSTS, DATA, PARENTS]),
    (DANIEL, &[POSTS, DATA]),
];

fn refused(message: String) -> StoreError {
    StoreError::Invalid(FieldErrors::single("demo", "invalid_demo", message))
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> Timestamp {
    Timestamp::new(
        day.and_hms_opt(hour, minute, 0)
            .expect("valid demo time")
            .and_utc(),
    )
}

/// SDG tags as an objective form stores them, refusing a code that is not in
/// the catalogue.
fn sdg(codes: &str) -> Result<String> {
    let parsed =
        domain::sdg::parse_codes(codes).map_err(|e| refused(format!("SDG tags {codes}: {e}")))?;
    Ok(parsed
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

impl Loader<'_> {
    /// A participant's account (no password) with a role in the initiative.
    async fn participant(&self, name: &str, role: Role) -> Result<i64> {
        let email = format!("{}@demo.example.org", name.to_lowercase().replace(' ', "."));
        let user = insert_user_in(self.txn, &email, name, None, false).await?;
        grant_role_in(self.txn, None, user.id, self.initiative, role).await?;
        Ok(user.id)
    }

    async fn idea(
        &self,
        title: &str,
        description: &str,
        status: IdeaStatus,
        source: IdeaSource,
        by: Option<i64>,
        language: &str,
    ) -> Result<i64> {
        let idea = Idea {
            title: title.into(),
            description: description.into(),
            status,
            source,
            submitted_by: by,
            language: language.into(),
        };
        Ok(create_in(self.txn, None, Some(self.initiative), &idea)
            .await?
            .id)
    }

    /// The ideas of a round, written as `Store::set_round_ideas` writes them.
    async fn round_ideas(&self, round: i64, ideas: &[i64]) -> Result<()> {
        crate::agenda::write_round_ideas(self.txn, None, self.initiative, round, &[], ideas).await
    }

    /// A ballot cast at `when`, checked and written as `Store::cast_ballot`
    /// checks and writes it on that day.
    async fn ballot(
        &self,
        round: &Record<Round>,
        ideas: &[i64],
        user: i64,
        picks: &[i64],
        when: Timestamp,
    ) -> Result<()> {
        rounds::check_ballot(&round.data, ideas, picks, when.get().date_naive())
            .map_err(|e| refused(format!("ballot in {}: {e}", round.data.title)))?;
        crate::agenda::write_ballot(self.txn, user, self.initiative, round.id, None, picks, when)
            .await
    }

    /// One answer of a round's systems map, written as `Store::answer_map` writes it.
    async fn map_answer(
        &self,
        round: i64,
        user: i64,
        (from, to, influences): (i64, i64, bool),
        when: Timestamp,
    ) -> Result<()> {
        crate::agenda::write_map_answer(
            self.txn,
            Some(user),
            self.initiative,
            round,
            (from, to),
            None,
            Some(influences),
            when,
        )
        .await
    }
}

async fn agenda(l: &Loader<'_>, p: &Partners) -> Result<()> {
    let mut people = vec![];
    for (name, role) in PARTICIPANTS {
        people.push(l.participant(name, role).await?);
    }

    // The ideas gathered in the winter of 2016–17, accepted by the coordinator.
    let mut ideas = vec![];
    for (title, description, by, language) in IDEAS {
        let source = if by.is_some() {
            IdeaSource::Member
        } else {
            IdeaSource::Portal
        };
        ideas.push(
            l.idea(
                title,
                description,
                IdeaStatus::Accepted,
                source,
                by.map(|i| people[i]),
                language,
            )
            .await?,
        );
    }
    let ids = |picks: &[usize]| picks.iter().map(|i| ideas[*i]).collect::<Vec<_>>();

    // The first round: everyone votes for what they care about most.
    let first = create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Round {
            title: "Education priorities 2017".into(),
            description: "Which of the ideas gathered this winter should the Administration take up first? Pick up to three.".into(),
            picks: 3,
            opens_on: d(2017, 2, 1),
            closes_on: d(2017, 2, 28),
            follows_round_id: None,
            public: true,
        },
    )
    .await?;
    l.round_ideas(first.id, &ideas).await?;
    for (n, (who, picks)) in FIRST_BALLOTS.iter().enumerate() {
        let day = d(2017, 2, 3) + chrono::Days::new(2 * n as u64);
        l.ballot(&first, &ideas, people[*who], &ids(picks), at(day, 19, 30))
            .await?;
    }

    // The systems map, answered at the Forum's meeting of 6 March 2017: the
    // questions inference asks, in its order, until every pair is known, each
    // answered as the Forum judged (`INFLUENCES`). Turns to answer go round
    // the participants.
    let truth = SystemsMap::from_edges(IDEAS.len(), &INFLUENCES);
    let mut inference = Inference::new(IDEAS.len());
    let mut asked = 0;
    while let Some((from, to)) = inference.next_question() {
        let yes = truth.reaches(from, to);
        inference
            .answer(from, to, yes)
            .map_err(|c| refused(format!("systems map: {c}")))?;
        let when = at(d(2017, 3, 6), 17, 0) + chrono::Duration::minutes(2 * asked as i64);
        l.map_answer(
            first.id,
            people[asked % people.len()],
            (ideas[from], ideas[to], yes),
            when,
        )
        .await?;
        asked += 1;
    }

    // The second round revisits the same ideas with the map in hand.
    let second = create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Round {
            title: "Education priorities after the systems map".into(),
            description: "The same ideas again, now that the map shows which of them move the others. Pick up to three.".into(),
            picks: 3,
            opens_on: d(2017, 3, 20),
            closes_on: d(2017, 4, 10),
            follows_round_id: Some(first.id),
            public: true,
        },
    )
    .await?;
    l.round_ideas(second.id, &ideas).await?;
    for (n, (who, picks)) in SECOND_BALLOTS.iter().enumerate() {
        let day = d(2017, 3, 21) + chrono::Days::new(2 * n as u64);
        l.ballot(&second, &ideas, people[*who], &ids(picks), at(day, 20, 15))
            .await?;
    }

    // Waiting in the moderation queue.
    l.idea(
        "Кружок робототехники в Центре молодёжи",
        "Чтобы подростки по вечерам собирали роботов вместе со студентами-инженерами и готовились к соревнованиям.",
        IdeaStatus::Submitted,
        IdeaSource::Portal,
        None,
        "ru",
    )
    .await?;
    l.idea(
        "Summer reading club in the public library",
        "Six weeks of reading groups for primary pupils in the summer holiday, with the library and volunteer students.",
        IdeaStatus::Submitted,
        IdeaSource::Member,
        Some(people[SARA]),
        "en",
    )
    .await?;

    create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Vision {
            statement: "Every resident of Kiryat Malachi, from birth through employment, has an equal opportunity for success and self-realization, regardless of background. We begin with education (informal education, early childhood and excellence), led by the municipality with every partner as an equal, and we measure our progress together and in the open.".into(),
            agreed_on: Some(d(2017, 1, 15)),
            public: true,
        },
    )
    .await?;
    let sphere = |name: &str, parent: Option<i64>, description: &str| Sphere {
        name: name.into(),
        parent_id: parent,
        description: description.into(),
    };
    let education = create_in(
        l.txn,
        None,
        Some(l.initiative),
        &sphere(
            "Education",
            None,
            "The first sphere the Administration chose.",
        ),
    )
    .await?
    .id;
    let mut areas = vec![];
    for (name, description) in [
        (
            "Informal education",
            "Youth movements, clubs and the Young People's Center.",
        ),
        (
            "Early childhood",
            "From birth to six: parents, day care and kindergartens.",
        ),
        ("Excellence", "Achievement and enrichment in the schools."),
    ] {
        areas.push(
            create_in(
                l.txn,
                None,
                Some(l.initiative),
                &sphere(name, Some(education), description),
            )
            .await?
            .id,
        );
    }
    let (informal_area, early_area, excellence_area) = (areas[0], areas[1], areas[2]);

    // Two joint objectives per area: (title, description, area, team, status,
    // since, the idea it grew from, SDG tags, public).
    let objectives = [
        (
            "Double participation in youth movements",
            "Twice as many children and teenagers in youth movements and organizations as in 2016.",
            informal_area,
            p.informal,
            ObjectiveStatus::Achieved,
            d(2019, 6, 30),
            Some(MOVEMENTS),
            "4.7",
            true,
        ),
        (
            "A municipal Young People's Center",
            "The center the foundations opened becomes a municipal body, with counselling on studies, army service and work.",
            informal_area,
            p.informal,
            ObjectiveStatus::Active,
            d(2018, 1, 1),
            Some(COUNSELLING),
            "4.4, 8.6",
            true,
        ),
        (
            "Every family with a toddler reached",
            "Parent and toddler groups within walking distance of every family with children from birth to three.",
            early_area,
            p.early,
            ObjectiveStatus::Active,
            d(2017, 11, 1),
            Some(TODDLERS),
            "4.2, 4.2.1",
            true,
        ),
        (
            "Kindergarten staff trained in early language and numeracy",
            "Every kindergarten teacher and assistant through the course, with coaching in the classroom.",
            early_area,
            p.early,
            ObjectiveStatus::Agreed,
            d(2017, 5, 1),
            Some(KINDERGARTEN),
            "4.2, 4.c",
            false,
        ),
        (
            "More pupils eligible for the matriculation certificate",
            "A significant rise in matriculation eligibility in the high schools.",
            excellence_area,
            p.excellence,
            ObjectiveStatus::Active,
            d(2017, 9, 1),
            Some(BAGRUT),
            "4.1, 4.1.1",
            true,
        ),
        (
            "A place to study in every school",
            "Study centres and a science lab, so that every pupil reaches literacy and numeracy and those who want go further.",
            excellence_area,
            p.excellence,
            ObjectiveStatus::Proposed,
            d(2018, 2, 1),
            Some(STUDY),
            "4.6, 4.a",
            false,
        ),
    ];
    let mut objective_ids = vec![];
    for &(title, description, area, team, status, since, idea, tags, public) in &objectives {
        let o = Objective {
            title: title.into(),
            description: description.into(),
            sphere_id: Some(area),
            status,
            status_on: since,
            body_id: Some(team),
            idea_id: idea.map(|i| ideas[i]),
            sdg: sdg(tags)?,
            public,
        };
        objective_ids.push(create_in(l.txn, None, Some(l.initiative), &o).await?.id);
    }

    // The work plans: activities towards the objectives, who leads and who
    // contributes, and their milestones. One milestone stays overdue: due in
    // 2018 and never marked done.
    struct Plan<'a> {
        title: &'a str,
        description: &'a str,
        objective: usize,
        lead: i64,
        start: NaiveDate,
        end: Option<NaiveDate>,
        status: ActivityStatus,
        public: bool,
        contributions: Vec<(i64, &'a str)>,
        milestones: Vec<(&'a str, NaiveDate, Option<NaiveDate>)>,
    }
    let plans = [
        Plan {
            title: "Youth movement recruitment weeks",
            description: "Open days of the youth movements in every neighbourhood, with parents invited.",
            objective: 0,
            lead: p.youth,
            start: d(2017, 9, 1),
            end: Some(d(2018, 6, 30)),
            status: ActivityStatus::Done,
            public: true,
            contributions: vec![
                (p.residents, "volunteer parents at the open days"),
                (p.community, "invitations and guides who speak Amharic"),
            ],
            milestones: vec![(
                "Recruitment weeks held in all neighbourhoods",
                d(2017, 12, 31),
                Some(d(2017, 12, 20)),
            )],
        },
        Plan {
            title: "Counselling desk for young adults",
            description: "Studies, army service and first jobs: one desk at the Young People's Center.",
            objective: 1,
            lead: p.youth,
            start: d(2018, 1, 1),
            end: None,
            status: ActivityStatus::Active,
            public: true,
            contributions: vec![
                (p.gazit, "the counsellor's salary for the first two years"),
                (p.muni, "the counsellor's post from the third year"),
            ],
            milestones: vec![
                ("Counsellor hired", d(2018, 3, 1), Some(d(2018, 2, 15))),
                (
                    "First cohort counselled",
                    d(2018, 12, 31),
                    Some(d(2019, 1, 10)),
                ),
            ],
        },
        Plan {
            title: "Parent and toddler groups in four neighbourhoods",
            description: "Weekly groups led by trained group leaders, close to home.",
            objective: 2,
            lead: p.edu,
            start: d(2017, 11, 1),
            end: None,
            status: ActivityStatus::Active,
            public: true,
            contributions: vec![
                (p.welfare, "referrals of families with toddlers"),
                (p.rashi, "training for the group leaders"),
            ],
            milestones: vec![
                (
                    "Group leaders trained",
                    d(2017, 12, 31),
                    Some(d(2017, 12, 15)),
                ),
                (
                    "Groups open in all four neighbourhoods",
                    d(2018, 6, 30),
                    None,
                ),
            ],
        },
        Plan {
            title: "Early language and numeracy course",
            description: "A course for kindergarten staff, then coaching in the classroom.",
            objective: 3,
            lead: p.ministry,
            start: d(2018, 9, 1),
            end: Some(d(2019, 6, 30)),
            status: ActivityStatus::Planned,
            public: false,
            contributions: vec![(p.edu, "release time for the kindergarten staff")],
            milestones: vec![(
                "Syllabus agreed with the Ministry",
                d(2018, 6, 30),
                Some(d(2018, 7, 15)),
            )],
        },
        Plan {
            title: "After-school study centres",
            description: "Three afternoons a week, with university students as tutors.",
            objective: 4,
            lead: p.school,
            start: d(2017, 10, 1),
            end: None,
            status: ActivityStatus::Active,
            public: true,
            contributions: vec![
                (p.tauber, "the tutors' stipends"),
                (p.muni, "rooms and caretakers in the afternoon"),
            ],
            milestones: vec![(
                "Tutors recruited for the school year",
                d(2017, 9, 30),
                Some(d(2017, 9, 25)),
            )],
        },
        Plan {
            title: "Science and technology lab",
            description: "A lab and enrichment groups for middle-school pupils.",
            objective: 5,
            lead: p.tauber,
            start: d(2018, 9, 1),
            end: None,
            status: ActivityStatus::Planned,
            public: false,
            contributions: vec![(p.school, "the room and a science teacher's hours")],
            milestones: vec![],
        },
    ];
    for plan in plans {
        let objective = objective_ids[plan.objective];
        let (_, _, area, team, ..) = objectives[plan.objective];
        let activity = create_in(
            l.txn,
            None,
            Some(l.initiative),
            &Activity {
                title: plan.title.into(),
                description: plan.description.into(),
                sphere_id: Some(area),
                objective_id: Some(objective),
                body_id: Some(team),
                lead_organization_id: Some(plan.lead),
                start_on: plan.start,
                end_on: plan.end,
                status: plan.status,
                public: plan.public,
            },
        )
        .await?
        .id;
        for (org, note) in plan.contributions {
            let c = Contribution {
                activity_id: activity,
                organization_id: org,
                note: note.into(),
            };
            create_in(l.txn, None, Some(l.initiative), &c).await?;
        }
        for (title, due, done) in plan.milestones {
            let m = Milestone {
                activity_id: activity,
                title: title.into(),
                due_on: due,
                done_on: done,
            };
            create_in(l.txn, None, Some(l.initiative), &m).await?;
        }
    }
    Ok(())
}

/// Riverside Zero's agenda, smaller: its aim, one objective with its work plan,
/// and a round of residents' ideas that has not been voted on.
async fn riverside_agenda(
    l: &Loader<'_>,
    coc: i64,
    outreach: i64,
    lived: i64,
    pat: i64,
) -> Result<()> {
    create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Vision {
            statement: "Homelessness in Riverside is rare, brief and one-time: fewer people are homeless each month than find a home, for every population, measured with one by-name list.".into(),
            agreed_on: Some(d(2024, 2, 20)),
            public: true,
        },
    )
    .await?;
    let housing = create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Sphere {
            name: "Housing".into(),
            parent_id: None,
            description: "Getting people into homes and keeping them there.".into(),
        },
    )
    .await?
    .id;
    let veterans = create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Objective {
            title: "Functional zero for veterans".into(),
            description:
                "Fewer veterans homeless each month than are housed, for three months running."
                    .into(),
            sphere_id: Some(housing),
            status: ObjectiveStatus::Active,
            status_on: d(2024, 4, 1),
            body_id: Some(pat),
            idea_id: None,
            sdg: sdg("11.1, 1.4")?,
            public: true,
        },
    )
    .await?
    .id;
    let conferencing = create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Activity {
            title: "Weekly case conferencing".into(),
            description: "Every veteran on the by-name list discussed until housed.".into(),
            sphere_id: Some(housing),
            objective_id: Some(veterans),
            body_id: Some(pat),
            lead_organization_id: Some(coc),
            start_on: d(2024, 2, 1),
            end_on: None,
            status: ActivityStatus::Active,
            public: true,
        },
    )
    .await?
    .id;
    for (org, note) in [
        (outreach, "two outreach workers at every conference"),
        (lived, "a board member reviews each change to the process"),
    ] {
        let c = Contribution {
            activity_id: conferencing,
            organization_id: org,
            note: note.into(),
        };
        create_in(l.txn, None, Some(l.initiative), &c).await?;
    }
    let m = Milestone {
        activity_id: conferencing,
        title: "Quality by-name list for veterans".into(),
        due_on: d(2024, 4, 1),
        done_on: Some(d(2024, 4, 1)),
    };
    create_in(l.txn, None, Some(l.initiative), &m).await?;
    let mut ideas = vec![];
    for (title, description, language) in [
        (
            "A same-night bed line",
            "One phone number that finds a shelter bed for tonight.",
            "en",
        ),
        (
            "Depósito de pertenencias en el centro",
            "Un lugar seguro para guardar documentos y pertenencias mientras se busca vivienda.",
            "es",
        ),
        (
            "Landlord liaison",
            "One person landlords can call when a tenancy runs into trouble.",
            "en",
        ),
    ] {
        ideas.push(
            l.idea(
                title,
                description,
                IdeaStatus::Accepted,
                IdeaSource::Portal,
                None,
                language,
            )
            .await?,
        );
    }
    let round = create_in(
        l.txn,
        None,
        Some(l.initiative),
        &Round {
            title: "After veterans: what next?".into(),
            description: "Residents' ideas for the next population. Pick up to two.".into(),
            picks: 2,
            opens_on: d(2025, 3, 1),
            closes_on: d(2025, 3, 21),
            follows_round_id: None,
            public: false,
        },
    )
    .await?;
    l.round_ideas(round.id, &ideas).await
}
