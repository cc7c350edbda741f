app_name = "homeschool"
urlpatterns = []
