kind-one-case_triage = preguntas de priorización de una lista
kind-one-case_conference = nota de conferencia de casos
kind-one-case_referral = derivación
audit-action-answer = respondió las preguntas de priorización
