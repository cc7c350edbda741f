from django.contrib import admin

from eschool.org.models import Grade, Homeroom, Region, School, Subject


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "stage", "region")
    list_filter = ("stage", "region")
    search_fields = ("code", "name")
    list_select_related = ("region",)


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = ("level", "name", "stage")
    list_filter = ("stage",)
    search_fields = ("name",)


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("name", "position")
    search_fields = ("name",)
    list_editable = ("position",)


@admin.register(Homeroom)
class HomeroomAdmin(admin.ModelAdmin):
    list_display = ("__str__", "school", "grade", "number")
    list_filter = ("grade", "school")
    search_fields = ("school__name", "school__code", "grade__name")
    list_select_related = ("school", "grade")
    autocomplete_fields = ("school",)
