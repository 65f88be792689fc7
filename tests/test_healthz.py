def test_it_reports_database_and_queue(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_it_reports_an_unreachable_queue(client, db, settings):
    from atelier.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = "memory://"
    assert response.status_code == 503
    assert response.json()["queue"] == "error"
