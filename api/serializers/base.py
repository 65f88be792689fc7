"""The API's model serializers' base: DRF's ModelSerializer, with the fields
it derives from the model built once per class instead of once per
serializer.

ModelSerializer inspects the model for every instance it makes, a large
part of a poll's CPU (bench/api_load.py measures the polls). What it builds
depends only on the class (its Meta and declared fields), so the first
instance keeps them on the class and later ones take copies, as Serializer
does with declared fields.
"""

import copy

from rest_framework import serializers


class FieldsOnceModelSerializer(serializers.ModelSerializer):
    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)
