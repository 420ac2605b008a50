kind-one-case_triage = triage questions of a list
kind-one-case_conference = case-conference note
kind-one-case_referral = referral
audit-action-answer = answered the triage questions
