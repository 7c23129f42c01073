"""A deliberately broken URLconf for test_url_walk: views that forget the unit check."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from patients.models import Admission, Patient


@login_required
def leaky_admission(request, public_id):
    admission = Admission.objects.select_related("patient").get(public_id=public_id)
    return HttpResponse(admission.patient.mrn)


@login_required
def leaky_list(request):
    return HttpResponse(", ".join(Patient.objects.values_list("mrn", flat=True)))


urlpatterns = [
    path("leaky/admissions/<uuid:public_id>/", leaky_admission, name="leaky-admission"),
    path("leaky/patients/", leaky_list, name="leaky-list"),
    path("", include("cnt_detox.urls")),
]
