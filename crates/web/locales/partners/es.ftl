# Cada socio mantiene las entradas de su propia organización.
access-speaks-for = Habla en nombre de la organización
access-speaks-for-none = Ninguna organización
access-speaks-for-hint = Para el rol de socio: el socio podrá editar esta organización y añadir y editar sus servicios y ubicaciones.
access-speaks-for-partner-only = Solo un socio habla en nombre de una organización: elija el rol de socio, o ninguna organización.
access-speaks-for-unknown = Elija una de las organizaciones de esta iniciativa.
access-for-organization = por { $organization }
home-your-organization = Su organización: { $organization }
error-not_yours = { $field }: solo puede añadir a una organización en cuyo nombre habla.
