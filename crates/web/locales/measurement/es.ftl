# Medición compartida: indicadores y reglas de validación.
nav-indicators = Indicadores
kind-indicators = Indicadores
kind-one-indicator = indicador
kind-validation-rules = Reglas de validación
kind-one-validation_rule = regla de validación
field-code = Código
field-definition = Definición
field-unit = Unidad
field-question = Pregunta que responde
field-polarity = Qué sentido es mejor
field-aggregation = Combinar socios y subgrupos por
field-period_aggregation = Combinar meses en trimestres y años por
field-frequency = Se informa
field-numerator_id = Numerador (fórmula)
field-denominator_id = Denominador (fórmula)
field-factor = Factor (fórmula)
hint-factor = Un indicador de fórmula es numerador ÷ denominador × factor, por ejemplo 100 para un porcentaje.
field-owner_org_id = Organización responsable
field-data_source = Fuente de datos
field-baseline_period = Período de línea de base
hint-baseline_period = Un período como 2025-W07, 2025-02, 2025Q1 o 2025.
field-baseline_value = Valor de línea de base
field-targets = Metas
hint-targets = Pares período=valor separados por punto y coma, como 2024-12=120;2025-12=150
field-disaggregations = Categorías de desagregación
hint-disaggregations = Categorías con sus opciones, como barrio=Norte|Sur|Este;sexo=F|M
field-reporters = Organizaciones que informan (ids)
hint-reporters = Los ids de las organizaciones que deben informar, separados por comas.
field-due_days = Días después del período para informar a tiempo
field-rule = Regla
hint-rule = Dos códigos de indicador o números comparados, como inscritos <= elegibles
indicator-kind-population = Indicador de población
indicator-kind-performance = Medida de desempeño
indicator-question-how_much = ¿Cuánto hicimos?
indicator-question-how_well = ¿Qué tan bien lo hicimos?
indicator-question-better_off = ¿Alguien está mejor?
polarity-higher_is_better = Más alto es mejor
polarity-lower_is_better = Más bajo es mejor
aggregation-sum = Suma
aggregation-average = Promedio
period-aggregation-sum = Suma
period-aggregation-average = Promedio
period-aggregation-last = Valor del último período
frequency-weekly = Semanal
frequency-monthly = Mensual
frequency-quarterly = Trimestral
frequency-yearly = Anual
