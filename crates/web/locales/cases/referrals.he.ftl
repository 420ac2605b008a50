kind-one-case_triage = שאלות התעדוף של רשימה
kind-one-case_conference = הערת ועדת מקרים
kind-one-case_referral = הפניה
audit-action-answer = ענה על שאלות התעדוף
