# שותף מתחזק בעצמו את הרשומות של הארגון שלו.
access-speaks-for = מייצג/ת את הארגון
access-speaks-for-none = ללא ארגון
access-speaks-for-hint = לתפקיד שותף/ה: השותף/ה יוכל/תוכל לערוך את הארגון הזה ולהוסיף ולערוך את השירותים והמיקומים שלו.
access-speaks-for-partner-only = רק שותף/ה מייצג/ת ארגון: יש לבחור בתפקיד שותף/ה, או ללא ארגון.
access-speaks-for-unknown = יש לבחור באחד מהארגונים של היוזמה.
access-for-organization = מטעם { $organization }
home-your-organization = הארגון שלך: { $organization }
error-not_yours = { $field }: אפשר להוסיף רק לארגון שאת/ה מייצג/ת.
