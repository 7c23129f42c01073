FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings; a throwaway key is fine for this build step only.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
# The export folders exist in the image, owned by the app user, so the named volume mounted
# there (docker-compose.yml "exports") starts with that owner instead of root.
RUN mkdir -p /app/.run/exports/fhir /app/.run/exports/reports \
    && useradd --system --uid 1000 app && chown -R app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "cnt_detox.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30"]
