//! The demo: the Kiryat Malachi Collaborative Initiative as seed 000 describes it,
//! and a homelessness partnership in the style of Built for Zero, in one demo
//! network. Facts and bodies follow the sources; every person's name is invented.
//!
//! Loaded in one transaction, only into a database with no initiative yet, so
//! several processes starting together load it once.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use domain::partnership::*;
use domain::resource::Record;

use crate::records::create_in;
use crate::{Engine, Result, Store};

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
    Ok(())
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
    Ok(())
}
