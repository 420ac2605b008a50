# Shared measurement: indicators and validation rules as registry records.
nav-indicators = Indicators
kind-indicators = Indicators
kind-one-indicator = indicator
kind-validation-rules = Validation rules
kind-one-validation_rule = validation rule
field-code = Code
field-definition = Definition
field-unit = Unit
field-question = Question it answers
field-polarity = Which way is better
field-aggregation = Combine partners and subgroups by
field-period_aggregation = Combine months into quarters and years by
field-frequency = Reported
field-numerator_id = Numerator (formula)
field-denominator_id = Denominator (formula)
field-factor = Factor (formula)
hint-factor = A formula indicator is numerator ÷ denominator × factor, such as 100 for a percentage.
field-owner_org_id = Owner organization
field-data_source = Data source
field-baseline_period = Baseline period
hint-baseline_period = A period such as 2025-W07, 2025-02, 2025Q1 or 2025.
field-baseline_value = Baseline value
field-targets = Targets
hint-targets = Period=value pairs separated by semicolons, such as 2024-12=120;2025-12=150
field-disaggregations = Disaggregation categories
hint-disaggregations = Categories with their options, such as neighbourhood=North|South|East;sex=F|M
field-reporters = Reporting organizations (ids)
hint-reporters = The ids of the organizations expected to report, separated by commas.
field-due_days = Days after a period to report on time
field-rule = Rule
hint-rule = Two indicator codes or numbers compared, such as enrolled <= eligible
indicator-kind-population = Population indicator
indicator-kind-performance = Performance measure
indicator-question-how_much = How much did we do?
indicator-question-how_well = How well did we do it?
indicator-question-better_off = Is anyone better off?
polarity-higher_is_better = Higher is better
polarity-lower_is_better = Lower is better
aggregation-sum = Sum
aggregation-average = Average
period-aggregation-sum = Sum
period-aggregation-average = Average
period-aggregation-last = Latest period's value
frequency-weekly = Weekly
frequency-monthly = Monthly
frequency-quarterly = Quarterly
frequency-yearly = Yearly
