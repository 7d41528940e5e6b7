"""The home page is the site root, created by migration, and renders for every visitor."""

from __future__ import annotations

from wagtail.models import Site
from wagtail.test.utils import WagtailPageTestCase

from content.models import HomePage


class HomePageTests(WagtailPageTestCase):
    def test_the_default_site_is_rooted_at_the_home_page(self):
        site = Site.objects.get(is_default_site=True)
        self.assertIsInstance(site.root_page.specific, HomePage)
        self.assertEqual(site.root_page.title, "阳光学堂")

    def test_it_renders(self):
        self.assertPageIsRenderable(HomePage.objects.get())

    def test_it_invites_visitors_to_sign_up_and_welcomes_users_back(self):
        response = self.client.get("/")
        self.assertContains(response, 'href="/accounts/signup/"')
        self.assertContains(response, "阳光学堂")

    def test_only_one_home_page_may_exist_and_only_at_the_top(self):
        self.assertCanNotCreateAt(HomePage, HomePage)
        self.assertFalse(HomePage.can_create_at(HomePage.objects.get()))

    def test_unknown_pages_get_a_friendly_404(self):
        response = self.client.get("/no-such-page/")
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "页面不存在", status_code=404)
