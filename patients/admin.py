from django.contrib import admin

from patients.models import Bed, Unit


class BedInline(admin.TabularInline):
    model = Bed
    extra = 0
    can_delete = False


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone")
    inlines = [BedInline]

    def has_delete_permission(self, request, obj=None):  # units hold clinical history
        return False
