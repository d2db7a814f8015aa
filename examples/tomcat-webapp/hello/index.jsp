<%@ page contentType="text/html; charset=UTF-8" %>
<html><body><h1>Hello from Tomcat on Stratus</h1><p>Server time: <%= new java.util.Date() %></p></body></html>
