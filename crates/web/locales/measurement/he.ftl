# מדידה משותפת: מדדים וכללי תקינות.
nav-indicators = מדדים
kind-indicators = מדדים
kind-one-indicator = מדד
kind-validation-rules = כללי תקינות
kind-one-validation_rule = כלל תקינות
field-code = קוד
field-definition = הגדרה
field-unit = יחידה
field-question = השאלה שהוא עונה עליה
field-polarity = איזה כיוון טוב יותר
field-aggregation = צירוף שותפים ותת־קבוצות לפי
field-period_aggregation = צירוף חודשים לרבעונים ולשנים לפי
field-frequency = תדירות דיווח
field-numerator_id = מונה (נוסחה)
field-denominator_id = מכנה (נוסחה)
field-factor = מקדם (נוסחה)
hint-factor = מדד נוסחה הוא מונה ÷ מכנה × מקדם, למשל 100 לאחוז.
field-owner_org_id = הארגון האחראי
field-data_source = מקור הנתונים
field-baseline_period = תקופת הבסיס
hint-baseline_period = תקופה כמו 2025-W07, 2025-02, 2025Q1 או 2025.
field-baseline_value = ערך הבסיס
field-targets = יעדים
hint-targets = זוגות תקופה=ערך מופרדים בנקודה־פסיק, כמו 2024-12=120;2025-12=150
field-disaggregations = קטגוריות פילוח
hint-disaggregations = קטגוריות עם האפשרויות שלהן, כמו שכונה=צפון|דרום|מזרח;מין=נ|ז
field-reporters = ארגונים מדווחים (מזהים)
hint-reporters = המזהים של הארגונים שצפויים לדווח, מופרדים בפסיקים.
field-due_days = ימים אחרי התקופה לדיווח בזמן
field-rule = כלל
hint-rule = שני קודי מדדים או מספרים בהשוואה, כמו enrolled <= eligible
indicator-kind-population = מדד אוכלוסייה
indicator-kind-performance = מדד ביצוע
indicator-question-how_much = כמה עשינו?
indicator-question-how_well = כמה טוב עשינו?
indicator-question-better_off = האם למישהו טוב יותר?
polarity-higher_is_better = גבוה יותר טוב יותר
polarity-lower_is_better = נמוך יותר טוב יותר
aggregation-sum = סכום
aggregation-average = ממוצע
period-aggregation-sum = סכום
period-aggregation-average = ממוצע
period-aggregation-last = ערך התקופה האחרונה
frequency-weekly = שבועי
frequency-monthly = חודשי
frequency-quarterly = רבעוני
frequency-yearly = שנתי
